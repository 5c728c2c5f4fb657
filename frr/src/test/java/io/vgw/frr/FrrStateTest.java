package io.vgw.frr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** FRR 8.4's JSON, as `show ip ospf neighbor json` and `show bfd peers json` printed it in the lab. */
class FrrStateTest {
    @Test
    void readsNeighboursAndBfdPeers() {
        var neighbors = FrrState.neighbors(JsonMapper.shared().readTree("""
                {"neighbors":{"10.255.0.1":[{"priority":1,"state":"Full/-","nbrState":"Full/-","converged":"Full",
                 "address":"100.64.9.2","ifaceAddress":"100.64.9.2","ifaceName":"l1:100.64.9.1"}],
                 "10.255.0.2":[{"nbrState":"Init/-","ifaceAddress":"100.64.2.2","ifaceName":"l2:100.64.2.1"}]}}"""));
        assertEquals(List.of(new FrrState.Neighbor("10.255.0.1", "100.64.9.2", "l1", "Full"),
                new FrrState.Neighbor("10.255.0.2", "100.64.2.2", "l2", "Init")), neighbors);
        assertTrue(neighbors.getFirst().full());
        var peers = FrrState.peers(JsonMapper.shared().readTree("""
                [{"multihop":false,"peer":"100.64.9.2","vrf":"default","interface":"l1","status":"up",
                  "receive-interval":100,"transmit-interval":100,"detect-multiplier":3}]"""));
        assertEquals(List.of(new FrrState.BfdPeer("100.64.9.2", "l1", "up", 100, 100, 3)), peers);
    }

    @Test
    void anUnreachableFrrIsAnErrorNotAnException() {
        FrrState s = FrrState.read(Vtysh.at(java.nio.file.Path.of("/nonexistent/vgw-frr-test")), "vgw0");
        assertTrue(s.error() != null && s.neighbors().isEmpty(), s.toString());
    }

    /** `show ip ospf interface DEV json` as FRR 8.4 answers it (FrrNamespaceTest asks the real one). */
    @Test
    void anAnnounceDeviceWithoutOspfIsAProblemThatSaysWhatToRender() {
        var json = new tools.jackson.databind.ObjectMapper();
        assertEquals(null, FrrState.deviceProblem(json.readTree(
                "{\"interfaces\":{\"vgw0\":{\"ifUp\":true,\"ospfEnabled\":true,\"timerPassiveIface\":true}}}"), "vgw0"));
        String off = FrrState.deviceProblem(json.readTree("{\"interfaces\":{\"vgw0\":{\"ifUp\":true,\"ospfEnabled\":false}}}"), "vgw0");
        assertTrue(off.startsWith("ospfd does not run on vgw0 (no 'ip ospf area' on it)") && off.endsWith("--device vgw0 --apply"), off);
        String unknown = FrrState.deviceProblem(json.readTree("{\"noSuchIface\":true}"), "vgw1");
        assertTrue(unknown.startsWith("ospfd does not run on vgw1 (FRR does not know it)"), unknown);
    }
}
