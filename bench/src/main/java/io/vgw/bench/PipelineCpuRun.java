package io.vgw.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * {@link PipelineBench#burst} timed by this thread's CPU time instead of the wall clock: on a machine shared with
 * other jobs the thread's time off the CPU does not count (its caches are still shared, so compare builds within one
 * run: bench/pipeline-cpu runs two side by side). Prints the minimum, first quartile and median of 25 rounds of
 * 20,000 bursts, in ns per packet, after 4 s of warm-up. Not a test: it times.
 *
 * <p>Usage: PipelineCpuRun TRAFFIC [ENTRIES [FLOWS]] (as PipelineBench's parameters; 0: its defaults)
 */
public final class PipelineCpuRun {
    public static void main(String[] args) {
        var threads = ManagementFactory.getThreadMXBean();
        PipelineBench bench = new PipelineBench();
        bench.traffic = args[0];
        bench.entries = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        bench.flowCount = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        bench.setup();
        int sink = 0;
        long warm = System.nanoTime() + 4_000_000_000L;
        while (System.nanoTime() < warm) for (int i = 0; i < 1000; i++) sink += bench.burst();
        int rounds = 25;
        int bursts = 20_000;
        double[] ns = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < bursts; i++) sink += bench.burst();
            ns[r] = (threads.getCurrentThreadCpuTime() - t0) / (bursts * (double) PipelineBench.BURST);
        }
        Arrays.sort(ns);
        System.out.printf("min %.1f  p25 %.1f  median %.1f ns/packet (thread CPU)%s%n", ns[0], ns[rounds / 4],
                ns[rounds / 2], sink == 42 ? " " : "");
        bench.tearDown();
    }
}
