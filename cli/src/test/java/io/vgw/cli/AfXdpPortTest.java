package io.vgw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Ipv4;
import io.vgw.gateway.GatewaySettings;
import io.vgw.gateway.dpdk.Burst;
import io.vgw.gateway.dpdk.Eal;
import io.vgw.gateway.port.LinkPort;
import io.vgw.gateway.port.PortKind;
import io.vgw.lab.Netns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's AF_XDP port on a real veth (root, as CI runs): in a namespace of its own, {@code eth0} with vgw's
 * XDP program steering VIP frames to the port while ARP and the node's own traffic still reach the kernel; the VIP
 * set read back from the kernel's map; the program gone with the port; {@code auto} falling back to AF_PACKET with
 * the reason when AF_XDP cannot take the buffers, {@code af_xdp} failing with it. The namespace is removed at the end.
 */
class AfXdpPortTest {
    static final String NODE = "10.77.0.1";
    static final String PEER = "10.77.0.2";
    static final int VIP = Ipv4.parse("192.0.2.77");
    static String ns;
    static String peer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void namespaces() {
        assertEquals("root", System.getProperty("user.name"), "the test creates network namespaces and needs root (CI runs as root)");
        ns = "xdpt" + Long.toHexString(System.nanoTime() & 0xffffff);
        peer = ns + "-peer";
        Netns.run("ip", "netns", "add", ns);
        Netns.run("ip", "netns", "add", peer);
        Netns.run("ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", "eth0", "netns", peer);
        for (String[] side : new String[][] {{ns, NODE}, {peer, PEER}}) {
            Netns.run("ip", "-n", side[0], "addr", "add", side[1] + "/24", "dev", "eth0");
            Netns.run("ip", "-n", side[0], "link", "set", "eth0", "up");
            Netns.run("ip", "-n", side[0], "link", "set", "lo", "up");
        }
        Netns.run("ip", "-n", peer, "route", "add", Ipv4.format(VIP) + "/32", "via", NODE);
    }

    @AfterAll
    static void remove() {
        for (String n : List.of(ns, peer)) Netns.tryRun("ip", "netns", "del", n);
        assertFalse(Netns.list().contains(ns) || Netns.list().contains(peer), "namespaces left behind");
    }

    @Test
    void vipFramesReachThePortTheRestTheKernel() throws Exception {
        GatewaySettings settings = settings("af_xdp", 0);
        Netns.call(ns, () -> {
            Eal.current().orElseGet(() -> Eal.init(settings.eal()));
            try (LinkPort port = LinkPort.open(settings)) {
                assertEquals(PortKind.AF_XDP, port.kind());
                assertTrue(Netns.exec(ns, "ip", "-d", "link", "show", "eth0").contains("name vgw_xdp"), "vgw's program is attached");
                port.vips().orElseThrow().set(Set.of(VIP, Ipv4.parse("198.51.100.7")));
                port.vips().orElseThrow().set(Set.of(VIP));
                assertEquals(Set.of(VIP), port.vips().orElseThrow().inKernel(), "the kernel's map holds the VIP set");

                // the node's own address: ARP and a TCP SYN reach its kernel, which refuses the port
                String own = peerPython("import socket\ntry:\n socket.create_connection(('" + NODE + "', 9), 3)\n"
                        + "except ConnectionRefusedError:\n print('refused')\n");
                assertEquals("refused", own.strip(), "the kernel answered for its own address");
                assertEquals(0, port.port().stats().ipackets(), "no frame of the node's own traffic reached the port");

                // a VIP: the frames go to the port
                peerPython("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                        + "for i in range(5): s.sendto(b'x', ('" + Ipv4.format(VIP) + "', 9))\n");
                try (Burst burst = new Burst()) {
                    int[] received = {0};
                    LabEndToEndTest.await("5 VIP frames on the port", Duration.ofSeconds(10), () -> {
                        int n = burst.rx(port.port().id(), 0);
                        burst.free(0, n);
                        return (received[0] += n) == 5;
                    });
                }
            }
            assertFalse(Netns.exec(ns, "ip", "-d", "link", "show", "eth0").contains("vgw_xdp"), "the port took its program with it");
            return null;
        });
    }

    @Test
    void autoFallsBackToAfPacketAndSaysWhy() throws Exception {
        // 4096-byte buffers: an AF_XDP frame (buffer, mbuf and pool headers) must fit a page; AF_PACKET takes them
        GatewaySettings auto = settings("auto", 4096);
        GatewaySettings xdp = settings("af_xdp", 4096);
        Netns.call(ns, () -> {
            Eal.current().orElseGet(() -> Eal.init(auto.eal()));
            try (LinkPort port = LinkPort.open(auto)) {
                assertEquals(PortKind.AF_PACKET, port.kind());
                assertTrue(port.fallback().orElseThrow().startsWith("AF_XDP is unavailable on eth0: "), port.fallback().get());
                assertTrue(port.vips().isEmpty());
            }
            RuntimeException e = assertThrows(RuntimeException.class, () -> LinkPort.open(xdp).close());
            assertTrue(e.getMessage().contains("rte_eth_rx_queue_setup"), e.getMessage());
            assertFalse(Netns.exec(ns, "ip", "-d", "link", "show", "eth0").contains("vgw_xdp"), "a failed start leaves no program");
            return null;
        });
    }

    private GatewaySettings settings(String kind, int mbufSize) throws Exception {
        Path file = tmp.resolve("gateway-" + kind + ".yaml");
        Files.writeString(file, """
                gateway: xdptest
                address: %s
                eal: {lcores: "0", memory_mb: 512}
                port: {iface: eth0, kind: %s, next_hop: kernel%s}
                """.formatted(NODE, kind, mbufSize > 0 ? ", mbuf_size: " + mbufSize : ""));
        return GatewaySettings.read(file);
    }

    private static String peerPython(String program) {
        return Netns.exec(peer, "python3", "-c", program);
    }
}
