package io.vgw.bench;

import io.vgw.config.load.ConfigLoader;
import io.vgw.plan.Planner;
import java.nio.file.Path;

/** Scratch timing of the control path on a big config (in-process, warm). */
public final class BigConfigRun {
    public static void main(String[] args) {
        Path a = Path.of(args[0]);
        Path b = Path.of(args[1]);
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            var files = ConfigLoader.readDirectory(a);
            long t1 = System.nanoTime();
            var la = ConfigLoader.load(a.toString(), files);
            long t2 = System.nanoTime();
            var lb = ConfigLoader.load(b);
            long t3 = System.nanoTime();
            var plan = Planner.plan(la.config(), lb.config());
            long t4 = System.nanoTime();
            System.out.printf("read %d ms, load %d ms, load b %d ms, plan %d ms (%d changes)%n", (t1 - t0) / 1_000_000,
                    (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, (t4 - t3) / 1_000_000, plan.services().size());
        }
    }
}
