package io.vgw.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.gateway.port.PortKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gateway.yaml's port: an interface with a kind (auto by default), or devargs as written; never both. */
class GatewaySettingsTest {
    @TempDir
    Path dir;

    @Test
    void anInterfaceRunsAutoUnlessAKindIsGiven() throws Exception {
        GatewaySettings auto = read("port: {iface: eth0}");
        assertEquals(Optional.of("eth0"), auto.iface());
        assertEquals(PortKind.AUTO, auto.portKind());
        assertEquals(Optional.of("eth0"), auto.kernelInterface(), "next hops come from the interface's routes");
        assertEquals(PortKind.AF_PACKET, read("port: {iface: eth1, kind: af_packet}").portKind());
        assertEquals(PortKind.AF_XDP, read("port: {iface: eth1, kind: af_xdp}").portKind());
    }

    @Test
    void devargsAreTakenAsWritten() throws Exception {
        GatewaySettings device = read("port: {device: \"net_af_packet0,iface=eth2\"}");
        assertEquals(PortKind.DEVICE, device.portKind());
        assertEquals(Optional.empty(), device.iface());
        assertEquals(Optional.of("eth2"), device.kernelInterface());
    }

    @Test
    void bothOrNeitherAndUnknownKindsAreRefusedWithTheirLine() {
        for (String port : new String[] {"port: {device: net_null0, iface: eth0}", "port: {next_hop: kernel}",
                "port: {iface: eth0, kind: af_dpdk}", "port: {device: net_null0, kind: af_xdp}"}) {
            GatewaySettings.Invalid e = assertThrows(GatewaySettings.Invalid.class, () -> read(port), port);
            assertEquals(1, e.problems.size(), port + ": " + e.getMessage());
            assertTrue(e.getMessage().contains("gateway.yaml:3:"), port + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(port.contains("af_dpdk") ? "auto" : "give either device"), e.getMessage());
        }
    }

    private GatewaySettings read(String port) throws Exception {
        Path file = dir.resolve("gateway.yaml");
        Files.writeString(file, "gateway: lb1\naddress: 100.64.1.2\n" + port + "\n");
        return GatewaySettings.read(file);
    }
}
