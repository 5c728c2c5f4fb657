package io.vgw.bench;

import io.vgw.maglev.Hashing;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The per-packet part of Maglev: the flow hash of a 5-tuple and the table lookup (100 servers, M = 65537). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MaglevLookupBench {
    MaglevTable table;
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
        return table.serverFor(h);
    }
}
