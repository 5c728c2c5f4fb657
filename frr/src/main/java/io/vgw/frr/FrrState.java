package io.vgw.frr;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * What this node's FRR says about its OSPF neighbours and BFD sessions (for status and metrics), read through
 * {@code show ip ospf neighbor json} and {@code show bfd peers json}.
 *
 * @param error null, or why FRR could not be read (daemons down, no vtysh): status shows it instead of states
 */
public record FrrState(List<Neighbor> neighbors, List<BfdPeer> bfdPeers, String error) {
    /** @param state e.g. Full, Init, 2-Way (FRR's word before the "/role") */
    public record Neighbor(String routerId, String address, String iface, String state) {
        public boolean full() {
            return state.equals("Full");
        }
    }

    /** @param status up, down, init, admin-down */
    public record BfdPeer(String peer, String iface, String status, int receiveMs, int transmitMs, int multiplier) {}

    public static FrrState read(Vtysh vtysh) {
        try {
            return new FrrState(neighbors(vtysh.show("show ip ospf neighbor json")), peers(vtysh.show("show bfd peers json")), null);
        } catch (RuntimeException e) {
            return new FrrState(List.of(), List.of(), e.getMessage());
        }
    }

    static List<Neighbor> neighbors(JsonNode json) {
        List<Neighbor> all = new ArrayList<>();
        for (var e : json.path("neighbors").properties()) {
            for (JsonNode n : e.getValue()) {
                String iface = n.path("ifaceName").asString("");
                all.add(new Neighbor(e.getKey(), n.path("ifaceAddress").asString(""),
                        iface.contains(":") ? iface.substring(0, iface.indexOf(':')) : iface,
                        n.path("nbrState").asString("").split("/")[0]));
            }
        }
        return all;
    }

    static List<BfdPeer> peers(JsonNode json) {
        List<BfdPeer> all = new ArrayList<>();
        for (JsonNode p : json) {
            all.add(new BfdPeer(p.path("peer").asString(""), p.path("interface").asString(""), p.path("status").asString(""),
                    p.path("receive-interval").asInt(), p.path("transmit-interval").asInt(), p.path("detect-multiplier").asInt()));
        }
        return all;
    }
}
