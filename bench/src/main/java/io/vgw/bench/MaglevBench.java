package io.vgw.bench;

import io.vgw.maglev.Hashing;
import io.vgw.maglev.Maglev;
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
    public int[] build() {
        return Maglev.build(identities, weightValues, tableSize);
    }

    /** The per-packet part: flow hash of a 5-tuple and the table lookup. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public static class Lookup {
        int[] table;
        int[] clients;
        int i;

        @Setup
        public void setup() {
            long[] ids = new long[100];
            int[] w = new int[100];
            for (int s = 0; s < 100; s++) {
                ids[s] = ((0xcb000000L + s) << 16) | 80;
                w[s] = 100;
            }
            table = Maglev.build(ids, w, 65537);
            clients = new SplittableRandom(1).ints(4096).toArray();
        }

        @Benchmark
        public int hashAndLookup() {
            int client = clients[i++ & 4095];
            long h = Hashing.flow(client, 0xc000020a, client >>> 16, 80, 6);
            return table[Hashing.slot(h, table.length)];
        }
    }
}
