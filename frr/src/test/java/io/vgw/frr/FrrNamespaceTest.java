package io.vgw.frr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vgw.config.Ipv4;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real FRR 8.4 in two namespaces (needs root and the frr package, as CI has): a router and LB node lb1 of the
 * examples' cluster. The node's config is rendered, checked with vtysh -C, applied, and applying it again changes
 * nothing (frr-reload.py --test shows an empty diff); a VIP route on a TAP device reaches the router by OSPF and
 * leaves it when the device is closed, with no vtysh call.
 */
class FrrNamespaceTest {
    private static final String PREFIX = "vgwfrrt" + ProcessHandle.current().pid() % 10000;
    private static final String ROUTER = PREFIX + "-r";
    private static final String NODE = PREFIX + "-n";
    private static final Path RUN = Path.of("/run/vgw-frr-test", PREFIX);
    private static Vtysh router;
    private static Vtysh node;

    @BeforeAll
    static void up() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: network namespaces and FRR daemons");
        assumeTrue(Vtysh.installed(), "needs FRR (apt-get install frr)");
        try {
            for (String ns : List.of(ROUTER, NODE)) {
                ip("netns", "add", ns);
                ip("-n", ns, "link", "set", "lo", "up");
            }
            ip("link", "add", "eth0", "netns", NODE, "type", "veth", "peer", "name", "l1", "netns", ROUTER);
            ip("-n", NODE, "addr", "add", "100.64.1.2/24", "dev", "eth0");
            ip("-n", NODE, "link", "set", "eth0", "up");
            ip("-n", ROUTER, "addr", "add", "100.64.1.1/24", "dev", "l1");
            ip("-n", ROUTER, "link", "set", "l1", "up");
            router = FrrDaemons.start(ROUTER, RUN.resolve("router"));
            node = FrrDaemons.start(NODE, RUN.resolve("node"));
            Path routerConf = RUN.resolve("router.conf");
            Files.writeString(routerConf, FrrConfigs.router(FrrConfigsTest.examples().cluster(), Ipv4.parse("10.255.255.1"),
                    List.of("l1"), FrrConfigs.hostname()));
            router.apply(routerConf);
        } catch (Exception | Error e) {
            down();
            throw e;
        }
    }

    @AfterAll
    static void down() {
        FrrDaemons.stop(RUN.resolve("router"));
        FrrDaemons.stop(RUN.resolve("node"));
        for (String ns : List.of(ROUTER, NODE)) run(List.of("ip", "netns", "del", ns));
        run(List.of("rm", "-rf", RUN.toString()));
    }

    @Test
    void renderedConfigIsValidAppliesAndAppliesAgainAsNoChange() throws Exception {
        Path conf = RUN.resolve("lb1.conf");
        Files.writeString(conf, FrrConfigs.node(FrrConfigsTest.examples(), "lb1", FrrConfigs.hostname(), "vgw0"));
        assertEquals(List.of(), node.check(conf));
        node.apply(conf);
        assertEquals(List.of(), node.diff(conf), "frr-reload.py --test after applying");
        node.apply(conf);
        assertEquals(List.of(), node.diff(conf), "frr-reload.py --test after applying twice");

        Path broken = RUN.resolve("broken.conf");
        Files.writeString(broken, "router ospf\n ospf router-id 10.255.0.300\nexit\n");
        assertFalse(node.check(broken).isEmpty(), "vtysh -C refuses a bad router id");
        assertEquals(List.of(), node.diff(conf), "a refused file changes nothing");

        // the adjacency comes up, with BFD at the cluster's timers
        await(Duration.ofSeconds(30), () -> FrrState.read(node, "vgw0").neighbors().stream().anyMatch(FrrState.Neighbor::full));
        await(Duration.ofSeconds(30), () -> FrrState.read(node, "vgw0").bfdPeers().stream().anyMatch(p -> p.status().equals("up")));
        FrrState state = FrrState.read(node, "vgw0");
        assertEquals("10.255.255.1", state.neighbors().getFirst().routerId());
        assertEquals("eth0", state.neighbors().getFirst().iface());
        assertEquals(100, state.bfdPeers().getFirst().receiveMs());

        // announce through a TAP device only this test holds: the router learns the VIP, not the stray address
        int vip = Ipv4.parse("192.0.2.10");
        try (InNamespace inNode = new InNamespace(NODE)) {
            TapDevice tap = inNode.call(() -> TapDevice.open("vgw0"));
            try {
                VipAddresses routes = inNode.call(() -> new VipAddresses(tap));
                Announcer announcer = new Announcer(vipInNode(inNode, routes), Duration.ofSeconds(1), System::nanoTime);
                announcer.vips(Map.of(vip, true));
                inNode.call(() -> {
                    routes.announce(Ipv4.parse("198.18.0.1")); // not a VIP: OSPF does not run on it, it stays home
                    return null;
                });
                await(Duration.ofSeconds(10), () -> routerHas("192.0.2.10"));
                assertEquals(null, FrrState.read(node, "vgw0").deviceProblem(), "rendered for vgw0: ospfd runs there");
                // a gateway whose announce device is not the one FRR's config was rendered for announces nothing
                String lo = FrrState.read(node, "lo").deviceProblem();
                assertTrue(lo != null && lo.contains("no 'ip ospf area'") && lo.contains("--device lo"), lo);
                assertFalse(routerHas("198.18.0.1"), "only VIP /32s leave the node");
                // inside the node's router-LSA (an intra-area route), not a Type-5 external
                assertEquals("N", router.show("show ip ospf route json").path("192.0.2.10/32").path("routeType").asString(),
                        router.show("show ip ospf route json").toString());
                assertEquals("", run(List.of("ip", "-n", NODE, "route", "show", "table", "local", "192.0.2.10/32")).strip(),
                        "the node's kernel has no local route for the VIP: it never answers for it");
                inNode.call(() -> {
                    routes.announce(vip); // announcing twice changes nothing
                    return null;
                });
                announcer.healthy(vip, false);
                await(Duration.ofSeconds(5), () -> !routerHas("192.0.2.10"));
                announcer.healthy(vip, true);
                announcer.reconcile();
                assertFalse(routerHas("192.0.2.10"), "hold-down");
                await(Duration.ofSeconds(10), () -> {
                    announcer.reconcile();
                    return routerHas("192.0.2.10");
                });
            } finally {
                long closed = System.nanoTime();
                tap.close(); // what the kernel does when the gateway dies
                await(Duration.ofSeconds(5), () -> !routerHas("192.0.2.10"));
                System.out.printf("router lost the VIP %d ms after the TAP device was closed%n", (System.nanoTime() - closed) / 1_000_000);
            }
        }
        assertTrue(run(List.of("ip", "-n", NODE, "link", "show", "vgw0")).contains("does not exist"),
                "the kernel deleted the device with its last descriptor");
    }

    /** Routes whose ip commands run in the node's namespace. */
    private static Announcer.Routes vipInNode(InNamespace ns, VipAddresses routes) {
        return new Announcer.Routes() {
            @Override
            public void announce(int vip) {
                inside(ns, () -> routes.announce(vip));
            }

            @Override
            public void withdraw(int vip) {
                inside(ns, () -> routes.withdraw(vip));
            }
        };
    }

    private static void inside(InNamespace ns, Runnable r) {
        try {
            ns.call(() -> {
                r.run();
                return null;
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean routerHas(String vip) {
        return run(List.of("ip", "-n", ROUTER, "route", "show", vip + "/32", "proto", "ospf")).contains(vip);
    }

    private static void await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not met within " + timeout);
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // a bounded poll of the condition
        }
    }

    private static void ip(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Vtysh.Result r = Vtysh.run(command);
        if (r.code() != 0) throw new IllegalStateException(command + ": " + r.output());
    }

    private static String run(List<String> command) {
        return Vtysh.run(command).output();
    }
}
