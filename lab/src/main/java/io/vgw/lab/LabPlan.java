package io.vgw.lab;

import io.vgw.config.Config;
import io.vgw.config.Ipv4;
import io.vgw.config.LbNode;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The lab's topology, derived from a config so the lab runs exactly what the config describes: one namespace per
 * LB node of the cluster and per real-server address of the services, plus a client and a router.
 *
 * <pre>
 *  client ─c0─┐              ┌─l1─ lb1 (gateway on eth0, AF_PACKET)
 *  198.51.100.2│   router    ├─l2─ lb2
 *             └─ (ECMP to ─┤
 *                 the LBs)   └─br0─┬─ rs11  203.0.113.11 (VIPs on lo, IPIP decap in tc)
 *                                  ├─ rs12
 *                                  └─ rs13
 * </pre>
 *
 * Addressing: each node's address sits in its own /24 whose .1 is the router; all real servers share one /24 whose
 * .1 is the router's bridge; the client is 198.51.100.2/24 behind 198.51.100.1. Namespaces are named
 * {@code <prefix>-client}, {@code <prefix>-router}, {@code <prefix>-<node>}, {@code <prefix>-rs<last octet>}.
 *
 * <p>Each node also has a management link from the root namespace ({@code <prefix>-m<n>}, to {@code mgmt} in the
 * node), as a forge or an operator reaches LB nodes on a network of their own: the config repository's push hook
 * reaches the node's reconciler over it. IPv6 link-local addresses only ({@link #MANAGEMENT_HOST} to
 * {@link #MANAGEMENT_NODE}): an address is the link's alone, so labs side by side never clash in the root namespace.
 */
public record LabPlan(String prefix, List<Node> nodes, List<Server> servers, List<Integer> vips, int serverGateway) {
    public static final int CLIENT = Ipv4.parse("198.51.100.2");
    public static final int CLIENT_GATEWAY = Ipv4.parse("198.51.100.1");

    /** An LB node: its namespace, its interface (the gateway's port), its address and the router's side. */
    public record Node(String name, String namespace, String iface, int address, int router, String routerIface) {}

    public record Server(String name, String namespace, int address, String routerIface) {}

    /** A veth pair: one end in each namespace. */
    public record Link(String namespace, String name, String peerNamespace, String peerName) {}

    /** A node's end of its management link. */
    public static final String MANAGEMENT_IFACE = "mgmt";
    /** The root namespace's address on each management link, and the node's. */
    public static final String MANAGEMENT_HOST = "fe80::1";
    public static final String MANAGEMENT_NODE = "fe80::2";
    /** Linux's longest interface name (IFNAMSIZ - 1). */
    private static final int MAX_IFACE_NAME = 15;

    /** The root namespace's end of a node's management link. */
    public String managementLink(Node n) {
        return prefix + "-m" + (nodes.indexOf(n) + 1);
    }

    /** The node's management address as the root namespace reaches it: scoped to the link ({@code fe80::2%<link>}). */
    public String managementAddress(Node n) {
        return MANAGEMENT_NODE + "%" + managementLink(n);
    }

    public String client() {
        return prefix + "-client";
    }

    public String router() {
        return prefix + "-router";
    }

    public List<String> namespaces() {
        List<String> all = new ArrayList<>(List.of(client(), router()));
        nodes.forEach(n -> all.add(n.namespace()));
        servers.forEach(s -> all.add(s.namespace()));
        return all;
    }

    /** Every veth pair: client–router, each node–router, each server–router (on the router's bridge). */
    public List<Link> links() {
        List<Link> links = new ArrayList<>(List.of(new Link(client(), "eth0", router(), "c0")));
        nodes.forEach(n -> links.add(new Link(n.namespace(), n.iface(), router(), n.routerIface())));
        servers.forEach(s -> links.add(new Link(s.namespace(), "eth0", router(), s.routerIface())));
        return links;
    }

    /** A prefix names namespaces and the run folder: short, and nothing a path could be made of. */
    public static String checkPrefix(String prefix) {
        if (!prefix.matches("[a-z][a-z0-9]{0,11}")) {
            throw new LabException("lab prefix '" + prefix + "' must be 1-12 lowercase letters and digits, starting with a letter");
        }
        return prefix;
    }

    public static LabPlan of(String prefix, Config config) {
        checkPrefix(prefix);
        List<Node> nodes = new ArrayList<>();
        int i = 0;
        for (LbNode n : config.cluster().nodes()) {
            i++;
            int router = (n.address() & 0xffffff00) | 1;
            if (router == n.address()) {
                throw new LabException("node " + n.name() + " has address " + Ipv4.format(n.address())
                        + ", which the lab gives to the router (.1 of each node's /24); use another, e.g. .2");
            }
            nodes.add(new Node(n.name(), prefix + "-" + n.name(), n.iface(), n.address(), router, "l" + i));
        }
        if ((prefix + "-m" + nodes.size()).length() > MAX_IFACE_NAME) {
            throw new LabException("lab prefix '" + prefix + "' is too long for " + nodes.size() + " nodes' management links ("
                    + prefix + "-m" + nodes.size() + " is over " + MAX_IFACE_NAME + " characters); choose a shorter --prefix");
        }
        for (int a = 0; a < nodes.size(); a++) {
            for (int b = a + 1; b < nodes.size(); b++) {
                if ((nodes.get(a).address() >>> 8) == (nodes.get(b).address() >>> 8)) {
                    throw new LabException("nodes " + nodes.get(a).name() + " and " + nodes.get(b).name()
                            + " share a /24; the lab gives each node a link of its own");
                }
            }
        }
        TreeSet<Integer> addresses = new TreeSet<>(Integer::compareUnsigned);
        TreeSet<Integer> vips = new TreeSet<>(Integer::compareUnsigned);
        for (ServiceConfig s : config.services()) {
            vips.add(s.vip());
            for (RealServer r : s.servers()) addresses.add(r.address());
        }
        if (addresses.isEmpty()) throw new LabException("the config has no real servers");
        int net = addresses.first() & 0xffffff00;
        List<Server> servers = new ArrayList<>();
        int s = 0;
        for (int address : addresses) {
            if ((address & 0xffffff00) != net) {
                throw new LabException("real servers " + Ipv4.format(addresses.first()) + " and " + Ipv4.format(address)
                        + " are in different /24s; the lab puts all real servers on one segment");
            }
            if ((address & 0xff) == 1) {
                throw new LabException("real server " + Ipv4.format(address) + " takes .1, the router's address on the servers' segment");
            }
            servers.add(new Server("rs" + (address & 0xff), prefix + "-rs" + (address & 0xff), address, "s" + (++s)));
        }
        return new LabPlan(prefix, nodes, servers, List.copyOf(vips), net | 1);
    }
}
