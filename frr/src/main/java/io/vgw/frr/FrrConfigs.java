package io.vgw.frr;

import io.vgw.config.ClusterConfig;
import io.vgw.config.Config;
import io.vgw.config.Ipv4;
import io.vgw.config.LbNode;
import io.vgw.config.ServiceConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Renders FRR configs from a cluster config: an LB node's ({@code node.conf}) and the lab router's
 * ({@code router.conf}). The output is in FRR's own canonical form (defaults left out, lines in the order
 * {@code show running-config} prints them), so applying it twice changes nothing and {@code frr-reload.py --test}
 * shows an empty diff.
 */
public final class FrrConfigs {
    /** The TAP device the gateway holds open and puts the announced VIPs on (gateway.yaml's announce.device). */
    public static final String DEFAULT_DEVICE = "vgw0";
    /** FRR's default BFD detect multiplier: left out of the config, as FRR leaves it out of its running config. */
    private static final int FRR_DEFAULT_MULTIPLIER = 3;

    private FrrConfigs() {}

    /**
     * An LB node's config.
     *
     * @param hostname the host's name as FRR reports it (vtysh shows the system's; it is not settable per daemon)
     * @param device   the gateway's TAP device (its announce.device): OSPF runs on it for the VIPs
     * @throws IllegalArgumentException when the cluster has no such node
     */
    public static String node(Config config, String nodeName, String hostname, String device) {
        ClusterConfig cluster = config.cluster();
        LbNode node = cluster.node(nodeName).orElseThrow(() -> new IllegalArgumentException("cluster " + cluster.name()
                + " has no node '" + nodeName + "'; its nodes: " + cluster.nodes().stream().map(LbNode::name).toList()));
        Map<String, Object> values = common(cluster, hostname);
        values.put("node", node.name());
        values.put("interface", node.iface());
        values.put("router_id", Ipv4.format(node.routerId()));
        values.put("announce_device", device);
        List<Map<String, Object>> vips = new ArrayList<>();
        for (int vip : vips(config)) vips.add(Map.of("vip", Ipv4.format(vip)));
        values.put("vips", vips);
        return Template.resource("node.conf").render(values);
    }

    /**
     * The upstream router's config (the lab's): one point-to-point OSPF interface per LB node link.
     *
     * @param links the router's interfaces towards the LB nodes
     */
    public static String router(ClusterConfig cluster, int routerId, List<String> links, String hostname) {
        Map<String, Object> values = common(cluster, hostname);
        values.put("router_id", Ipv4.format(routerId));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String link : links) rows.add(Map.of("interface", link));
        values.put("links", rows);
        return Template.resource("router.conf").render(values);
    }

    private static Map<String, Object> common(ClusterConfig cluster, String hostname) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("cluster", cluster.name());
        values.put("hostname", hostname);
        values.put("area", cluster.ospfArea());
        values.put("bfd", cluster.bfd());
        values.put("bfd_interval", cluster.bfdInterval().toMillis());
        if (cluster.bfdMultiplier() != FRR_DEFAULT_MULTIPLIER) values.put("multiplier", cluster.bfdMultiplier());
        return values;
    }

    /** Every VIP of the config, in address order. */
    public static TreeSet<Integer> vips(Config config) {
        TreeSet<Integer> vips = new TreeSet<>(Integer::compareUnsigned);
        for (ServiceConfig s : config.services()) vips.add(s.vip());
        return vips;
    }

    /** This host's name as FRR's vtysh reports it. */
    public static String hostname() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
