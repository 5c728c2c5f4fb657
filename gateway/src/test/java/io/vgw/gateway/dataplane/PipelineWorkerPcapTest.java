package io.vgw.gateway.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vgw.config.Config;
import io.vgw.gateway.dpdk.DpdkTestSupport;
import io.vgw.gateway.dpdk.Mempool;
import io.vgw.gateway.dpdk.Pcap;
import io.vgw.gateway.dpdk.Port;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixtures through the real {@link Worker} loop (rx burst → pipeline → prepend/trim the mbuf → tx burst) on a
 * hot-plugged net_pcap port: rx_pcap holds the fixture inputs, tx_pcap collects what the worker sent. The output
 * must be exactly the expected TX frames, in order, and the worker's counters the sum of the fixtures' counters.
 *
 * <p>All frames share one pipeline here, so two things differ from a fixture run alone: the outer IP ID of a
 * packet without DF comes from the worker's counter (each such packet must get the next value; the ID and the
 * header checksum are compared apart), and CONN_* counters depend on the order (not compared). Fixtures that need
 * a smaller headroom than an mbuf's are left out.
 */
class PipelineWorkerPcapTest {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(20);
    /** The malformed corpus: fixtures named so by make_fixtures.py (bad headers, unsupported, no service). */
    private static final List<String> MALFORMED = List.of("malformed_", "unsupported_", "no_service_");

    @TempDir
    Path dir;

    @BeforeAll
    static void eal() {
        DpdkTestSupport.eal();
    }

    private record Run(List<byte[]> sent, long[] counters, Port.Stats stats) {}

    private static List<PacketFixture> mbufFixtures() {
        return PacketFixture.all().stream().filter(f -> f.headroom() == PacketFixture.DEFAULT_HEADROOM).toList();
    }

    @Test
    void everyFixtureThroughTheWorker() throws Exception {
        List<PacketFixture> fixtures = mbufFixtures();
        Run run = run(fixtures.stream().map(PacketFixture::input).toList());
        List<PacketFixture> tx = fixtures.stream().filter(f -> f.verdict() == Pipeline.TX).toList();
        checkCounters(fixtures, run.counters());
        checkSent(tx, run.sent());
        assertEquals(fixtures.size(), run.stats().ipackets(), "port ipackets");
        assertEquals(tx.size(), run.stats().opackets(), "port opackets");
    }

    @Test
    void malformedCorpusLeavesTheWorkerForwarding() throws Exception {
        List<PacketFixture> corpus = new ArrayList<>(mbufFixtures().stream().filter(f -> f.verdict() == Pipeline.DROP
                && MALFORMED.stream().anyMatch(prefix -> f.name().startsWith(prefix))).toList());
        assertTrue(corpus.size() >= 30, "malformed and refused frames: " + corpus.size());
        PacketFixture good = PacketFixture.all().stream().filter(f -> f.name().equals("tcp_syn_web")).findFirst()
                .orElseThrow();
        // twice over, then a good packet
        List<PacketFixture> all = new ArrayList<>(corpus);
        all.addAll(corpus);
        all.add(good);
        Run run = run(all.stream().map(PacketFixture::input).toList());
        checkCounters(all, run.counters());
        checkSent(List.of(good), run.sent());
        assertEquals(2L * corpus.size(), Arrays.stream(Counter.values()).filter(Counter::isDrop)
                .mapToLong(c -> run.counters()[c.ordinal()]).sum(), "drops");
    }

    private Run run(List<byte[]> inputs) throws Exception {
        Mempool pool = DpdkTestSupport.pool();
        int inUseBefore = pool.inUse();
        String name = DpdkTestSupport.uniqueName("net_pcap");
        Path in = dir.resolve(name + "-in.pcap");
        Path out = dir.resolve(name + "-out.pcap");
        Pcap.write(in, inputs);
        Config config = TestWorld.config();
        long[] counters;
        Port.Stats stats;
        try (ConnTable conns = new ConnTable(TestWorld.CONNS);
             Port port = Port.attach(name + ",rx_pcap=" + in + ",tx_pcap=" + out)) {
            port.configure(1, 1, 512, 512, pool);
            port.start();
            Pipeline pipeline = TestWorld.pipeline(config, conns);
            Worker worker = new Worker(port.id(), 0, pipeline, new AtomicReference<>(TestWorld.state(config)), false,
                    -1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread thread = Thread.ofPlatform().name("vgw-fixture-worker")
                    .uncaughtExceptionHandler((t, e) -> failure.set(e)).start(worker);
            long deadline = System.nanoTime() + TIMEOUT_NANOS;
            // bursts() is volatile and written after each burst's counters: reading it first makes them visible.
            while (worker.bursts() >= 0 && pipeline.counters()[Counter.RX.ordinal()] < inputs.size()) {
                if (!thread.isAlive() || System.nanoTime() > deadline) break;
                Thread.onSpinWait();
            }
            worker.stop();
            thread.join(TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NANOS));
            assertTrue(!thread.isAlive(), "the worker stops when asked");
            assertNull(failure.get(), () -> "the worker died: " + failure.get());
            counters = pipeline.counters().clone();
            assertEquals(inputs.size(), counters[Counter.RX.ordinal()], "frames the worker received");
            stats = port.stats();
        }
        assertTrue(pool.inUse() <= inUseBefore, "mbufs leaked: in use " + pool.inUse() + ", before " + inUseBefore);
        return new Run(Pcap.read(out), counters, stats);
    }

    /** The frames sent are the expected outputs in order; the outer ID of non-DF IPIP packets is compared apart. */
    private static void checkSent(List<PacketFixture> expected, List<byte[]> sent) {
        List<String> names = expected.stream().map(PacketFixture::name).toList();
        assertEquals(expected.size(), sent.size(), "frames sent; expected " + names);
        int lastId = 0;
        for (int i = 0; i < expected.size(); i++) {
            PacketFixture fx = expected.get(i);
            byte[] want = fx.output().clone();
            byte[] got = sent.get(i).clone();
            int ip = outerIpOffset(want);
            if (ip > 0 && got.length == want.length && Frames.u16(want, ip + 4) != 0) {
                int id = Frames.u16(got, ip + 4);
                assertTrue(id > lastId, fx.name() + ": outer IP ID " + id + " after " + lastId
                        + " (a per-worker counter: each packet without DF takes the next value)");
                lastId = id;
                assertTrue(Frames.checksumValid(got, ip, 20), fx.name() + ": outer header checksum");
                for (int k : new int[] {4, 5, 10, 11}) {
                    want[ip + k] = 0;
                    got[ip + k] = 0;
                }
            }
            if (!Arrays.equals(want, got)) {
                fail("frame " + i + " sent, fixture " + fx.name() + ": " + fx.description()
                        + "\n  expected:\n" + FrameRunner.dump(fx.output(), sent.get(i))
                        + "  sent:\n" + FrameRunner.dump(sent.get(i), fx.output())
                        + "  scapy output: " + fx.scapyOutput());
            }
        }
    }

    /** Offset of the outer IPv4 header of an IPIP frame (after Ethernet and an optional VLAN tag), else -1. */
    private static int outerIpOffset(byte[] frame) {
        int l2 = Frames.u16(frame, 12) == 0x8100 ? 18 : 14;
        if (Frames.u16(frame, l2 - 2) != 0x0800 || frame.length < l2 + 20 || frame[l2 + 9] != 4) return -1;
        return l2;
    }

    /** Every counter but CONN_* (order-dependent) is the sum over the fixtures. */
    private static void checkCounters(List<PacketFixture> fixtures, long[] actual) {
        long[] expected = new long[Counter.values().length];
        for (PacketFixture fx : fixtures) {
            expected[Counter.RX.ordinal()]++;
            expected[fx.fate().ordinal()]++;
            if (fx.counter() != fx.fate()) expected[fx.counter().ordinal()]++;
            for (Counter c : fx.also()) if (c != fx.fate() && c != fx.counter()) expected[c.ordinal()]++;
        }
        List<String> wrong = new ArrayList<>();
        for (Counter c : Counter.values()) {
            if (c.name().startsWith("CONN_")) continue;
            if (expected[c.ordinal()] != actual[c.ordinal()]) {
                wrong.add(c + " = " + actual[c.ordinal()] + " (expected " + expected[c.ordinal()] + ")");
            }
        }
        assertTrue(wrong.isEmpty(), "worker counters: " + wrong);
    }
}
