package io.vgw.gateway.dpdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Vdevs come and go in one EAL: what lets every test share the JVM's single EAL. */
class HotplugTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void eal() {
        DpdkTestSupport.eal();
    }

    @Test
    void secondVdevAttachesAndDetachesInTheSameEal() throws Exception {
        List<byte[]> frames = List.of(Pcap.frame(1, 2, 60, 0), Pcap.frame(3, 4, 70, 1));

        // two pcap ports one after the other, each attached, used, stopped, closed and removed
        assertEquals(frames.size(), PcapPorts.roundTrip(dir, frames, (m, i) -> { }).size());
        List<byte[]> second = PcapPorts.roundTrip(dir, frames, (m, i) -> { });
        for (int i = 0; i < frames.size(); i++) {
            assertArrayEquals(frames.get(i), second.get(i));
        }

        // two vdevs at once, then the same name again after its removal
        String a = DpdkTestSupport.uniqueName("net_null");
        String b = DpdkTestSupport.uniqueName("net_null");
        Port first = Port.attach(a);
        try (Port other = Port.attach(b)) {
            assertNotEquals(first.id(), other.id());
            assertEquals("net_null", other.info().driver());
            assertEquals(other.id(), Port.byName(b).id());
            first.close();
            DpdkException gone = assertThrows(DpdkException.class, () -> Port.byName(a));
            assertTrue(gone.getMessage().contains("rte_eth_dev_get_port_by_name(" + a + ")"), gone.getMessage());
            try (Port again = Port.attach(a)) {
                again.configure(1, 1, 256, 256, DpdkTestSupport.pool());
                again.start();
                assertTrue(again.isStarted());
            }
        } finally {
            first.close();
        }
    }

    @Test
    void duplicateNameUnknownDriverAndBadArgumentsFail() {
        String name = DpdkTestSupport.uniqueName("net_null");
        try (Port port = Port.attach(name)) {
            // DPDK's rte_dev_probe returns 0 for an already probed device: Port.attach checks first
            IllegalStateException duplicate = assertThrows(IllegalStateException.class, () -> Port.attach(name));
            assertTrue(duplicate.getMessage().contains(name), duplicate.getMessage());
            assertTrue(port.id() >= 0);
        }
        DpdkException unknown = assertThrows(DpdkException.class, () -> Port.attach("net_nosuchdriver0"));
        assertTrue(unknown.getMessage().startsWith("rte_dev_probe(net_nosuchdriver0) failed: "), unknown.getMessage());
        assertTrue(unknown.errno() > 0);
        DpdkException badArgs = assertThrows(DpdkException.class,
                () -> Port.attach(DpdkTestSupport.uniqueName("net_pcap") + ",rx_pcap=/nonexistent/in.pcap"));
        assertTrue(badArgs.errno() > 0, badArgs.getMessage());
    }

    @Test
    void portReportsMacMtuLinkAndInfo() {
        try (Port port = Port.attach(DpdkTestSupport.uniqueName("net_null"))) {
            Port.Info info = port.info();
            assertEquals("net_null", info.driver());
            assertTrue(info.maxRxQueues() >= 2, info.toString());
            port.configure(2, 2, 256, 256, DpdkTestSupport.pool());
            // RSS is requested on two queues, limited to what net_null hashes on
            assertEquals(port.rssHashFunctions(), port.rssHashFunctions() & info.rssOffloads());
            port.start();
            assertEquals(6, port.macAddress().length);
            assertTrue(port.macAddressString().matches("([0-9a-f]{2}:){5}[0-9a-f]{2}"), port.macAddressString());
            assertEquals(1500, port.mtu());
            Port.Link link = port.link();
            assertTrue(link.up(), link.toString());
            assertEquals(new Port.Stats(0, 0, 0, 0, 0, 0, 0, 0), port.stats());
        }
    }
}
