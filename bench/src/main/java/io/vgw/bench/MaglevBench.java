package io.vgw.bench;

import io.vgw.maglev.Maglev;
import io.vgw.maglev.MaglevTable;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Building a weighted Maglev table: the cost of every config swap and every health change, per service. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MaglevBench {
    @Param({"10", "100", "1000"})
    int servers;

    @Param({"65537", "655373"})
    int tableSize;

    /** equal: all weight 100; weighted: random weights 1..1000 */
    @Param({"equal", "weighted"})
    String weights;

    long[] identities;
    int[] weightValues;

    @Setup
    public void setup() {
        SplittableRandom random = new SplittableRandom(42);
        identities = new long[servers];
        weightValues = new int[servers];
        for (int i = 0; i < servers; i++) {
            identities[i] = ((0xcb000000L + i) << 16) | 80;
            weightValues[i] = weights.equals("equal") ? 100 : random.nextInt(1, 1001);
        }
    }

    @Benchmark
    public MaglevTable build() {
        return Maglev.build(identities, weightValues, tableSize);
    }
}
