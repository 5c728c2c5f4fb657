package io.vgw.gateway.dpdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Runs frames through a hot-plugged net_pcap port: rx_pcap in, tx_pcap out. */
public final class PcapPorts {

    /** What the test does to each received mbuf before it is sent back out. */
    @FunctionalInterface
    public interface Rewrite {
        void apply(long mbuf, int frameIndex);
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private PcapPorts() {
    }

    /**
     * Writes {@code input} to a pcap, attaches {@code net_pcap_tN,rx_pcap=in,tx_pcap=out}, rx-bursts
     * until every frame came in, applies {@code rewrite} to each, tx-bursts them, then closes
     * (stop, close, hot-unplug) the port and returns the frames of the output pcap.
     */
    public static List<byte[]> roundTrip(Path dir, List<byte[]> input, Rewrite rewrite) throws IOException {
        Mempool pool = DpdkTestSupport.pool();
        int inUseBefore = pool.inUse();
        String name = DpdkTestSupport.uniqueName("net_pcap");
        Path in = dir.resolve(name + "-in.pcap");
        Path out = dir.resolve(name + "-out.pcap");
        Pcap.write(in, input);

        int received = 0;
        try (Port port = Port.attach(name + ",rx_pcap=" + in + ",tx_pcap=" + out);
             Burst burst = new Burst()) {
            port.configure(1, 1, 512, 512, pool);
            port.start();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (received < input.size() && System.nanoTime() < deadline) {
                int n = burst.rx(port.id(), 0);
                for (int i = 0; i < n; i++) {
                    rewrite.apply(burst.mbuf(i), received + i);
                }
                received += n;
                int sent = burst.txOrFree(port.id(), 0, n);
                assertEquals(n, sent, "net_pcap tx took only part of the burst");
            }
            assertEquals(input.size(), received, "frames received from " + in + " within " + TIMEOUT);
            Port.Stats stats = port.stats();
            assertEquals(input.size(), stats.ipackets(), "ipackets");
            assertEquals(input.size(), stats.opackets(), "opackets");
        }
        // The port's close flushed and closed the tx pcap; every mbuf went back to the pool.
        assertTrue(pool.inUse() <= inUseBefore, "mbufs leaked: in use " + pool.inUse() + ", before " + inUseBefore);
        return Pcap.read(out);
    }
}
