package io.vgw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vgw.config.Ipv4;
import io.vgw.config.RealServer;
import io.vgw.config.load.ConfigLoader;
import io.vgw.frr.Vtysh;
import io.vgw.lab.Lab;
import io.vgw.lab.LabClient;
import io.vgw.lab.LabPlan;
import io.vgw.lab.Netns;
import io.vgw.reconciler.apply.ControlClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code announce: healthy} through the real thing (root: namespaces, FRR, DPDK gateways, the real servers' HTTP
 * listeners): when every server of the web VIP stops listening, every node withdraws the VIP (its forwarding fails
 * open, its announcement does not) and the router, kernel and FRR alike, has no route left to it; when one server
 * listens again, the VIP is announced again only after the hold-down. Prints when each step happened. One lab for
 * the class, removed at the end even when the test fails.
 */
class AllServersDownLabTest {
    static final int WEB = Ipv4.parse("192.0.2.10");
    /** web: GET /healthz on port 80 every 1 s, timeout 500 ms, rise 2, fall 3 (examples/services/web.yaml). */
    static final long FALL_MS = 3 * 1000 + 500;
    static final long RISE_MS = 2 * 1000 + 500;
    /** Scheduling on a loaded 2-core CI machine: a status poll, a rebuild, a vtysh call, an SPF. */
    static final long SLACK_MS = 3000;

    static Lab lab;
    static List<LabPlan.Server> webServers;

    @BeforeAll
    static void up() throws IOException {
        assertEquals("root", System.getProperty("user.name"),
                "the lab test creates network namespaces and runs FRR and gateways: it needs root (CI runs as root)");
        Path config = LabEndToEndTest.copyOfExamples();
        List<Integer> web = ConfigLoader.load(config).config().service("web").orElseThrow().servers().stream()
                .map(RealServer::address).toList();
        lab = Lab.up("ad" + Long.toHexString(System.nanoTime() & 0xffffff), config, LabCommand.self(), false,
                line -> System.out.println("lab: " + line));
        webServers = lab.plan().servers().stream().filter(s -> web.contains(s.address())).toList();
    }

    @AfterAll
    static void down() {
        LabEndToEndTest.downAndCheck(lab);
    }

    @Test
    void aVipWithNoServerUpIsWithdrawnByEveryNodeAndComesBackAfterTheHoldDown() throws Exception {
        lab.awaitRoutes(lab.plan().nodes().size(), Duration.ofSeconds(60));
        List<String> timeline = new ArrayList<>();

        // every web server stops listening on port 80: its probes are refused, so it is down after fall checks
        long stopped = System.nanoTime();
        for (LabPlan.Server s : webServers) listener(s, false);
        long gone = await("no route to " + Ipv4.format(WEB) + " on the router", FALL_MS + SLACK_MS,
                () -> lab.routerNextHops().get(WEB).isEmpty());
        timeline.add(String.format(Locale.ROOT, "%5d ms: every web listener stopped", 0));
        timeline.add(String.format(Locale.ROOT, "%5d ms: the router has no route to %s (fall: 3 x 1 s + 0.5 s)",
                ms(gone - stopped), Ipv4.format(WEB)));

        for (JsonNode vip : vipOnEveryNode()) {
            assertEquals(false, vip.path("announced").asBoolean(), vip.toString());
            assertEquals("no healthy server", vip.path("reason").asString(), vip.toString());
        }
        for (JsonNode g : lab.gatewayStatus()) {
            assertTrue(webService(g).path("fail_open").asBoolean(),
                    "forwarding fails open while the announcement is withdrawn: " + webService(g));
        }
        // nothing left anywhere on the router: not in the kernel, not in zebra's RIB, not in OSPF's routes
        Vtysh router = Vtysh.at(lab.frrDir("router"));
        String prefix = Ipv4.format(WEB) + "/32";
        assertTrue(router.show("show ip route " + prefix + " json").path(prefix).isMissingNode(),
                "zebra on the router has no route: " + router.show("show ip route " + prefix + " json"));
        assertTrue(router.show("show ip ospf route json").path(prefix).isMissingNode(),
                "ospfd on the router has no route: " + router.show("show ip ospf route json"));
        for (var e : lab.routerNextHops().entrySet()) {
            if (e.getKey() != WEB) assertEquals(lab.plan().nodes().size(), e.getValue().size(),
                    "the other VIPs stay announced by every node: " + Lab.describe(lab.routerNextHops()));
        }

        // one server listens again: up after rise checks, then announced after the hold-down, not before
        LabPlan.Server back = webServers.getFirst();
        long started = System.nanoTime();
        listener(back, true);
        // The hold-down's start as the nodes' own clocks put it: a status read while it runs says how much is left,
        // so it started at most (time before the read + left - hold-down); the earliest such bound over the nodes.
        long holdDown = Lab.HOLD_DOWN.toNanos();
        long[] holdStart = {Long.MAX_VALUE};
        long[] first = new long[1];
        long returned = await(Ipv4.format(WEB) + " back on the router through every node",
                RISE_MS + Lab.HOLD_DOWN.toMillis() + 2 * SLACK_MS, () -> {
                    for (LabPlan.Node n : lab.plan().nodes()) {
                        long before = System.nanoTime();
                        String reason = vipOn(n).path("reason").asString();
                        if (reason.startsWith("hold-down, ")) {
                            long left = Long.parseLong(reason.substring("hold-down, ".length(), reason.indexOf(" ms left")));
                            holdStart[0] = Math.min(holdStart[0], before + left * 1_000_000 - holdDown);
                        }
                    }
                    int hops = lab.routerNextHops().get(WEB).size();
                    if (hops > 0 && first[0] == 0) first[0] = System.nanoTime();
                    return hops == lab.plan().nodes().size();
                });
        timeline.add(String.format(Locale.ROOT, "%5d ms: %s listens again (t = 0 below)", ms(started - stopped), back.name()));
        assertTrue(holdStart[0] != Long.MAX_VALUE, "the nodes held the VIP down before announcing it again: " + timeline);
        timeline.add(String.format(Locale.ROOT, "%5d ms: the VIP is healthy again on a node, its hold-down starts (rise: 2 x 1 s + 0.5 s)",
                ms(holdStart[0] - started)));
        timeline.add(String.format(Locale.ROOT, "%5d ms: the router has a route again, %d ms after the hold-down started (hold-down %d ms)",
                ms(first[0] - started), ms(first[0] - holdStart[0]), Lab.HOLD_DOWN.toMillis()));
        timeline.add(String.format(Locale.ROOT, "%5d ms: one next hop per node again", ms(returned - started)));
        System.out.println("all servers down, web " + Ipv4.format(WEB) + ":\n  " + String.join("\n  ", timeline));

        assertTrue(first[0] - holdStart[0] >= holdDown, "announced again only after the hold-down: " + timeline);
        assertTrue(first[0] - holdStart[0] <= holdDown + SLACK_MS * 1_000_000, "announced again once the hold-down ended: " + timeline);
        for (JsonNode vip : vipOnEveryNode()) assertEquals("announced", vip.path("reason").asString(), vip.toString());
        Map<String, Integer> spread = Netns.call(lab.plan().client(), () -> LabClient.spread(WEB, 80, 20, () -> {}));
        assertEquals(Map.of(back.name(), 20), spread, "new connections reach the one server that is up");
        for (LabPlan.Server s : webServers) listener(s, true);
    }

    /** Starts or stops a real server's port-80 listener (its health checks then connect or are refused). */
    static void listener(LabPlan.Server server, boolean listening) throws Exception {
        Netns.call(server.namespace(), () -> LabClient.get(0x7f000001, 8080, "/fault?port=80&healthz=" + (listening ? "ok" : "closed")));
    }

    /** The web VIP's announcement state on every node. */
    static List<JsonNode> vipOnEveryNode() {
        return lab.plan().nodes().stream().map(AllServersDownLabTest::vipOn).toList();
    }

    /** The web VIP's announcement state on a node, as {@code vgw status} shows it: vip, announced, healthy, reason. */
    static JsonNode vipOn(LabPlan.Node n) {
        try (ControlClient client = new ControlClient(lab.socket(n))) {
            JsonNode status = client.announcements().orElseThrow(() -> new AssertionError(n.name() + " announces nothing"));
            for (JsonNode vip : status.path("vips")) if (vip.path("vip").asString().equals(Ipv4.format(WEB))) return vip;
            throw new AssertionError(n.name() + " does not know " + Ipv4.format(WEB) + ": " + status);
        } catch (IOException e) {
            throw new AssertionError(n.name() + ": " + e.getMessage(), e);
        }
    }

    static JsonNode webService(JsonNode status) {
        for (JsonNode s : status.path("services")) if (s.path("name").asString().equals("web")) return s;
        throw new AssertionError("no web service in " + status);
    }

    static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    /** Polls the condition every few milliseconds until it holds (its time then) or the bound passes (a failure). */
    static long await(String what, long maxMs, BooleanSupplier condition) {
        long deadline = System.nanoTime() + maxMs * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("not within " + maxMs + " ms: " + what);
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
        return System.nanoTime();
    }
}
