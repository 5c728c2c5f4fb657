package io.vgw.lab;

import static io.vgw.lab.Netns.concat;
import static io.vgw.lab.Netns.exec;
import static io.vgw.lab.Netns.run;

import io.vgw.config.Ipv4;
import java.nio.file.Path;
import java.util.List;

/**
 * Creates and removes a {@link LabPlan}'s namespaces, links, addresses, routes and sysctls. Every link is created
 * directly inside its namespaces; the one exception, each node's management link, has its other end in the root
 * namespace with a link-local address only (no route, nothing another lab could clash with), and goes with the
 * node's namespace: removing the namespaces removes all.
 */
final class Topology {
    private Topology() {}

    static void create(LabPlan plan, Path decapObject) {
        for (String ns : plan.namespaces()) {
            run("ip", "netns", "add", ns);
            run("ip", "-n", ns, "link", "set", "lo", "up");
        }
        for (LabPlan.Link l : plan.links()) {
            run("ip", "link", "add", l.name(), "netns", l.namespace(), "type", "veth", "peer", "name", l.peerName(),
                    "netns", l.peerNamespace());
            run("ip", "-n", l.namespace(), "link", "set", l.name(), "up");
            run("ip", "-n", l.peerNamespace(), "link", "set", l.peerName(), "up");
        }
        String router = plan.router();
        // rp_filter off on the router: with direct server return, replies from a VIP arrive from the servers' side
        // while the route to the VIP points at the LB nodes. L4 hashing spreads flows over the LB nodes.
        sysctl(router, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                "net.ipv4.fib_multipath_hash_policy=1");

        String client = plan.client();
        address(client, "eth0", LabPlan.CLIENT, 24);
        address(router, "c0", LabPlan.CLIENT_GATEWAY, 24);
        run("ip", "-n", client, "route", "add", "default", "via", Ipv4.format(LabPlan.CLIENT_GATEWAY));
        // The client's segments would cross veth with partial checksums and as GSO super-frames, which the LB's
        // AF_PACKET port would take as they are: make the client send finished, MTU-sized frames.
        exec(client, "ethtool", "-K", "eth0", "tx", "off", "tso", "off", "gso", "off");

        for (LabPlan.Node n : plan.nodes()) {
            address(n.namespace(), n.iface(), n.address(), 24);
            address(router, n.routerIface(), n.router(), 24);
            run("ip", "-n", n.namespace(), "route", "add", "default", "via", Ipv4.format(n.router()));
            // The kernel of an LB node sees VIP packets too (AF_PACKET copies them): it must not route them.
            sysctl(n.namespace(), "net.ipv4.ip_forward=0");
            String link = plan.managementLink(n);
            run("ip", "link", "add", link, "type", "veth", "peer", "name", LabPlan.MANAGEMENT_IFACE, "netns", n.namespace());
            linkLocal(null, link, LabPlan.MANAGEMENT_HOST);
            linkLocal(n.namespace(), LabPlan.MANAGEMENT_IFACE, LabPlan.MANAGEMENT_NODE);
        }

        run("ip", "-n", router, "link", "add", "br0", "type", "bridge");
        address(router, "br0", plan.serverGateway(), 24);
        for (LabPlan.Server s : plan.servers()) {
            run("ip", "-n", router, "link", "set", s.routerIface(), "master", "br0");
            address(s.namespace(), "eth0", s.address(), 24);
            // Advertise an MSS that leaves room for the 20-byte IPIP header at MTU 1500 (as LVS TUN setups do).
            run("ip", "-n", s.namespace(), "route", "add", "default", "via", Ipv4.format(plan.serverGateway()), "advmss", "1440");
            for (int vip : plan.vips()) run("ip", "-n", s.namespace(), "addr", "add", Ipv4.format(vip) + "/32", "dev", "lo");
            // The VIPs are local but must not be answered for by ARP on the wire.
            sysctl(s.namespace(), "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2");
            exec(s.namespace(), "tc", "qdisc", "add", "dev", "eth0", "clsact");
            exec(s.namespace(), "tc", "filter", "add", "dev", "eth0", "ingress", "bpf", "da", "obj",
                    decapObject.toString(), "sec", "tc");
        }
        // No route to any VIP here: the router learns them by OSPF from the LB nodes that announce them.
    }

    /**
     * Overrides the router's OSPF route to a VIP with a kernel route of a better metric (1; zebra installs OSPF
     * routes with metric 20) to one next hop: to move flows in tests. {@link #clearOverride} returns to OSPF.
     */
    static void override(LabPlan plan, int vip, int via, String dev) {
        run("ip", "-n", plan.router(), "route", "replace", Ipv4.format(vip) + "/32", "via", Ipv4.format(via), "dev", dev,
                "metric", "1");
    }

    static void clearOverride(LabPlan plan, int vip) {
        Netns.tryRun("ip", "-n", plan.router(), "route", "del", Ipv4.format(vip) + "/32", "metric", "1");
    }

    /**
     * Removes the plan's management links and those of the namespaces that exist (their links go with them); the ones
     * that would not go. A management link is removed first: a namespace's links go when the kernel frees it, which
     * may be after {@code ip netns del} returned, and a lab made again at once names its links the same.
     */
    static List<String> destroy(LabPlan plan, List<String> namespaces) {
        for (LabPlan.Node n : plan.nodes()) Netns.tryRun("ip", "link", "del", plan.managementLink(n)); // gone already: fine
        List<String> existing = Netns.list();
        for (String ns : namespaces) {
            if (existing.contains(ns)) Netns.tryRun("ip", "netns", "del", ns);
        }
        List<String> left = Netns.list();
        return namespaces.stream().filter(left::contains).toList();
    }

    private static void address(String ns, String dev, int address, int length) {
        run("ip", "-n", ns, "addr", "add", Ipv4.format(address) + "/" + length, "dev", dev);
        run("ip", "-n", ns, "link", "set", dev, "up");
    }

    /**
     * Gives a link (in {@code ns}, null: the root namespace) one IPv6 link-local address, usable at once (no duplicate
     * address detection: the link has two ends, both ours) and no address of the kernel's making, then sets it up.
     */
    private static void linkLocal(String ns, String dev, String address) {
        List<String> ip = ns == null ? List.of("ip") : List.of("ip", "-n", ns);
        run(concat(ip, "link", "set", dev, "addrgenmode", "none"));
        run(concat(ip, "addr", "add", address + "/64", "dev", dev, "nodad"));
        run(concat(ip, "link", "set", dev, "up"));
    }

    private static void sysctl(String ns, String... settings) {
        run(Netns.inside(ns, concat(List.of("sysctl", "-qw"), settings)));
    }
}
