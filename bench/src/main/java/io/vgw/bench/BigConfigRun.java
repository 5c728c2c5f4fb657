package io.vgw.bench;

import io.vgw.config.Config;
import io.vgw.config.load.ConfigLoader;
import io.vgw.gateway.state.ServerIds;
import io.vgw.gateway.state.StateBuilder;
import io.vgw.maglev.Footprint;
import io.vgw.plan.Planner;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The control path of bench/bigconfig in one warm JVM, without DPDK: loading (what validate does), planning (diff)
 * and building forwarding states (what apply does after the request is read), each timed in wall and process CPU
 * seconds with the bytes its threads allocated (garbage, for loading), and the heap held after building. Not a test:
 * it only times.
 *
 * <p>Usage: BigConfigRun CONFIG_A CONFIG_B (B: every pool changed, as BigConfig --reweight writes it)
 */
public final class BigConfigRun {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        Path a = Path.of(args[0]);
        Path b = Path.of(args[1]);
        Config ca = time("load A (validate)", () -> ConfigLoader.load(a)).config();
        Config cb = time("load B", () -> ConfigLoader.load(b)).config();
        System.out.println("estimate: " + Footprint.format(Footprint.of(ca)));
        time("plan A -> B (diff, every pool changed)", () -> Planner.plan(ca, cb));
        StateBuilder builder = new StateBuilder(new ServerIds(1 << 20), Runtime.getRuntime().maxMemory() / 4 * 3);
        time("build A (apply into an empty gateway)", () -> builder.build(ca, Map.of(), x -> 1L));
        System.out.println("heap after: " + heap());
        time("build B (every pool changed)", () -> builder.build(cb, Map.of(), x -> 1L));
        System.out.println("heap after: " + heap());
        time("build B again (nothing changed)", () -> builder.build(cb, Map.of(), x -> 1L));
    }

    static <T> T time(String what, Supplier<T> step) {
        long c0 = OS.getProcessCpuTime();
        long a0 = THREADS.getTotalThreadAllocatedBytes();
        long t0 = System.nanoTime();
        T result = step.get();
        System.out.printf(Locale.ROOT, "%-42s %6.2f s (cpu %.2f s, allocated %s)%n", what, (System.nanoTime() - t0) / 1e9,
                (OS.getProcessCpuTime() - c0) / 1e9, Footprint.format(THREADS.getTotalThreadAllocatedBytes() - a0));
        return result;
    }

    static String heap() {
        System.gc();
        var used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return Footprint.format(used);
    }
}
