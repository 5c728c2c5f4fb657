package io.vgw.frr;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * What this node's FRR says about its OSPF neighbours and BFD sessions (for status and metrics), and whether ospfd
 * runs on the device the VIPs are announced from, read through {@code show ip ospf neighbor json},
 * {@code show bfd peers json} and {@code show ip ospf interface DEVICE json}.
 *
 * @param deviceProblem null, or why no VIP leaves this node: ospfd does not run on the announce device (FRR's config
 *                      was rendered for another one), which FRR itself does not report
 * @param error         null, or why FRR could not be read (daemons down, no vtysh): status shows it instead of states
 */
public record FrrState(List<Neighbor> neighbors, List<BfdPeer> bfdPeers, String deviceProblem, String error) {
    /** @param state e.g. Full, Init, 2-Way (FRR's word before the "/role") */
    public record Neighbor(String routerId, String address, String iface, String state) {
        public boolean full() {
            return state.equals("Full");
        }
    }

    /** @param status up, down, init, admin-down */
    public record BfdPeer(String peer, String iface, String status, int receiveMs, int transmitMs, int multiplier) {}

    /**
     * @param device the announce device (gateway.yaml announce.device), holding the VIPs as addresses; null: not asked
     *               (a third vtysh call that metrics, which need only neighbours and sessions, do not pay)
     */
    public static FrrState read(Vtysh vtysh, String device) {
        try {
            return new FrrState(neighbors(vtysh.show("show ip ospf neighbor json")), peers(vtysh.show("show bfd peers json")),
                    device == null ? null : deviceProblem(vtysh.show("show ip ospf interface " + device + " json"), device), null);
        } catch (RuntimeException e) {
            return new FrrState(List.of(), List.of(), null, e.getMessage());
        }
    }

    static String deviceProblem(JsonNode json, String device) {
        if (json.path("interfaces").path(device).path("ospfEnabled").asBoolean(false)) return null;
        return "ospfd does not run on " + device + " (" + (json.path("noSuchIface").asBoolean(false) ? "FRR does not know it"
                : "no 'ip ospf area' on it") + "): no VIP of this node is announced; render FRR's config for it: "
                + "vgw frr render --config DIR --node NODE --device " + device + " --apply";
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
