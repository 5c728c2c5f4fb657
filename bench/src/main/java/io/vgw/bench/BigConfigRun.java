package io.vgw.bench;

import io.vgw.config.load.ConfigLoader;
import io.vgw.plan.Planner;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/** Scratch timing of the control path on a big config (in-process, warm). */
public final class BigConfigRun {
    public static void main(String[] args) {
        Path a = Path.of(args[0]);
        Path b = Path.of(args[1]);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int round = 0; round < 3; round++) {
            long c0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            var la = ConfigLoader.load(a);
            long c1 = os.getProcessCpuTime();
            long t1 = System.nanoTime();
            var lb = ConfigLoader.load(b);
            long t2 = System.nanoTime();
            long c2 = os.getProcessCpuTime();
            var plan = Planner.plan(la.config(), lb.config());
            long t3 = System.nanoTime();
            long c3 = os.getProcessCpuTime();
            System.out.printf("load %d ms (cpu %d), load b %d ms (cpu %d), plan %d ms (cpu %d, %d changes)%n",
                    (t1 - t0) / 1_000_000, (c1 - c0) / 1_000_000, (t2 - t1) / 1_000_000, (c2 - c1) / 1_000_000,
                    (t3 - t2) / 1_000_000, (c3 - c2) / 1_000_000, plan.services().size());
        }
    }
}
