package io.vgw.gateway.dpdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The EAL argument vector (no DPDK call, no root needed). */
class EalConfigTest {

    @Test
    void defaultsRunWithoutHugepages() {
        assertEquals(List.of("vgw", "-l", "0", "--no-huge", "--no-shconf", "-m", "512", "--no-pci", "--no-telemetry"),
                EalConfig.builder().build().toArgs());
    }

    @Test
    void hugepagesVdevsLogLevelAndExtras() {
        EalConfig config = EalConfig.builder()
                .lcores("0-1")
                .memoryMb(1024)
                .hugeDir(Path.of("/mnt/huge"))
                .vdev("net_null0")
                .vdev("net_pcap0,rx_pcap=/tmp/a.pcap")
                .logLevel("pmd.net.pcap:debug")
                .extraArg("--main-lcore=1")
                .build();
        assertEquals(List.of("vgw", "-l", "0-1", "--in-memory", "--huge-dir", "/mnt/huge", "-m", "1024",
                "--no-pci", "--no-telemetry", "--vdev", "net_null0", "--vdev", "net_pcap0,rx_pcap=/tmp/a.pcap",
                "--log-level=pmd.net.pcap:debug", "--main-lcore=1"), config.toArgs());
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> EalConfig.builder().memoryMb(0).build());
        assertThrows(IllegalArgumentException.class, () -> EalConfig.builder().lcores(" ").build());
    }

    @Test
    void mempoolSizeIsAPowerOfTwoMinusOne() {
        int n = Mempool.sizeFor(2, 1024, 1024, 1, 256);
        assertEquals(8191, n); // 4096 descriptors + 64 + 384 + 384 -> 4928 -> 2^13 - 1
    }
}
