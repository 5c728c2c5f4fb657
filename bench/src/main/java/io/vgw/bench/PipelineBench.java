package io.vgw.bench;

import io.vgw.config.Config;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import io.vgw.gateway.dataplane.ConnTable;
import io.vgw.gateway.dataplane.Pipeline;
import io.vgw.gateway.state.ServerIds;
import io.vgw.gateway.state.StateBuilder;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The packet pipeline alone (no DPDK): one 60-byte frame per operation, copied from a template into a buffer with
 * headroom (the pipeline rewrites in place) and processed. {@code established}: 10,000 flows cycling through a
 * table that holds them; {@code syn}: 65,536 distinct SYNs through a 4,096-entry table, so every one is a miss,
 * a Maglev pick and an insert.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PipelineBench {
    static final int FRAME = 60;
    static final int SLOT = 256;
    static final int BURST = 32;
    static final int HEADROOM = 128;

    @Param({"established", "syn"})
    String traffic;

    /** Connection-table capacity; 0: 2^20 for established, 4096 for syn (every SYN then misses and evicts). */
    @Param({"0"})
    int entries;

    /** Distinct flows cycled through; 0: 10,000 established, 65,536 SYNs. */
    @Param({"0"})
    int flowCount;

    Arena arena;
    MemorySegment templates;
    MemorySegment buffer;
    long frameAddress;
    int flows;
    int next;
    Pipeline pipeline;
    final long[] frames = new long[BURST];
    final int[] lengths = new int[BURST];
    final long[] hashes = new long[BURST];

    static final String CLUSTER = """
            cluster: bench
            ospf: {area: 0.0.0.0}
            nodes: [{name: lb1, router_id: 10.255.0.1, interface: eth0, address: 100.64.1.2}]
            """;
    static final String WEB = """
            service: web
            vip: 192.0.2.10
            port: 80
            protocol: tcp
            health: {type: none}
            servers:
            """ + "  - {address: 203.0.113.1}\n  - {address: 203.0.113.2}\n  - {address: 203.0.113.3}\n"
            + "  - {address: 203.0.113.4, weight: 50}\n  - {address: 203.0.113.5, weight: 200}\n";

    @Setup(Level.Trial)
    public void setup() {
        var loaded = ConfigLoader.load("bench", List.of(new SourceFile("c.yaml", CLUSTER), new SourceFile("w.yaml", WEB)));
        Config config = loaded.config();
        var state = new StateBuilder(new ServerIds(1024), Long.MAX_VALUE).build(config, Map.of(), a -> 0x0200000000feL);
        boolean syn = traffic.equals("syn");
        flows = flowCount > 0 ? flowCount : syn ? 1 << 16 : 10_000;
        arena = Arena.ofShared();
        templates = arena.allocate((long) flows * FRAME);
        for (int i = 0; i < flows; i++) {
            templates.asSlice((long) i * FRAME, FRAME).copyFrom(MemorySegment.ofArray(frame(i, syn ? 0x02 : 0x10)));
        }
        buffer = arena.allocate((long) SLOT * BURST, 64);
        frameAddress = buffer.address() + HEADROOM;
        for (int k = 0; k < BURST; k++) {
            frames[k] = frameAddress + (long) k * SLOT;
            lengths[k] = FRAME;
        }
        int capacity = entries > 0 ? entries : syn ? 4096 : 1 << 20;
        pipeline = new Pipeline(new ConnTable(capacity), 0x64400102, 0x020000000102L, 1500, 1024);
        pipeline.begin(state, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pipeline.conns().close();
        arena.close();
    }

    /** Ether / IPv4 (DF, TTL 64, checksum) / TCP to 192.0.2.10:80 from 198.18.x.y, as bench/make_pcaps.py. */
    static byte[] frame(int i, int flags) {
        ByteBuffer b = ByteBuffer.allocate(FRAME);
        b.put(new byte[] {2, 0, 0, 0, 1, 2, 2, 0, 0, 0, 0, 1, 8, 0});
        int ipStart = b.position();
        int host = i / 5000;
        b.put((byte) 0x45).put((byte) 0).putShort((short) 40).putShort((short) 0).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0)
                .put((byte) 198).put((byte) 18).put((byte) (host >> 8)).put((byte) host)
                .put((byte) 192).put((byte) 0).put((byte) 2).put((byte) 10);
        int sum = 0;
        for (int j = ipStart; j < ipStart + 20; j += 2) sum += b.getShort(j) & 0xffff;
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        b.putShort(ipStart + 10, (short) ~sum);
        b.putShort((short) (1024 + i % 5000)).putShort((short) 80).putInt(i).putInt(0)
                .put((byte) 0x50).put((byte) flags).putShort((short) 65535).putInt(0);
        return b.array();
    }

    /** As a worker runs a burst: copy 32 frames in (the PMD's work), hash and touch their buckets, then process them. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int burst() {
        int first = next;
        for (int k = 0; k < BURST; k++) {
            int i = first + k < flows ? first + k : first + k - flows;
            MemorySegment.copy(templates, (long) i * FRAME, buffer, (long) k * SLOT + HEADROOM, FRAME);
        }
        next = first + BURST < flows ? first + BURST : first + BURST - flows;
        pipeline.prefetch(frames, lengths, hashes, BURST);
        int sum = 0;
        for (int k = 0; k < BURST; k++) sum += pipeline.process(frames[k], FRAME, HEADROOM, hashes[k]);
        return sum;
    }

    @Benchmark
    public int process() {
        int i = next;
        next = i + 1 == flows ? 0 : i + 1;
        MemorySegment.copy(templates, (long) i * FRAME, buffer, HEADROOM, FRAME);
        return pipeline.process(frameAddress, FRAME, HEADROOM);
    }
}
