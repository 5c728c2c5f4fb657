package io.vgw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vgw.config.Ipv4;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * High availability through the real thing (root: network namespaces, FRR daemons, DPDK gateways): two LB nodes
 * announce the VIPs by OSPF (BFD 100 ms x 3) to the lab router, which spreads flows by ECMP. Under a load of 100
 * long-lived echo connections (a round trip every 50 ms each) and a loop of new connections, one node fails in
 * three ways; each case prints the gap the moved connections saw, how many survived and how many new connections
 * failed. One lab for the class, removed at the end even when a test fails; every test starts with both nodes up.
 */
class FailoverLabTest {
    static final int WEB = Ipv4.parse("192.0.2.10");
    static final int ECHO = Ipv4.parse("192.0.2.30");
    static final int STREAMS = 100;

    static Path config;
    static Lab lab;

    @BeforeAll
    static void up() throws IOException {
        assertEquals("root", System.getProperty("user.name"),
                "the failover test runs FRR and gateways in network namespaces and needs root (CI runs as root)");
        config = LabEndToEndTest.copyOfExamples();
        lab = Lab.up("fo" + Long.toHexString(System.nanoTime() & 0xffffff), config, LabCommand.self(), false,
                line -> System.out.println("lab: " + line));
    }

    @AfterAll
    static void down() {
        if (lab != null) lab.down();
        assertEquals(List.of(), Netns.list().stream().filter(n -> lab != null && n.startsWith(lab.plan().prefix() + "-")).toList(),
                "namespaces left behind");
    }

    /** Every node runs and announces: the router has a next hop per node for every VIP. */
    @BeforeEach
    void bothNodesUp() {
        for (LabPlan.Node n : lab.plan().nodes()) lab.restartNode(n);
        lab.awaitRoutes(lab.plan().nodes().size(), Duration.ofSeconds(60));
    }

    @Test
    void ecmpSpreadsFlowsOverEveryNode() throws Exception {
        assertTrue(lab.routerNextHops().values().stream().allMatch(h -> h.equals(List.of("lb1", "lb2"))),
                "one next hop per node for every VIP: " + Lab.describe(lab.routerNextHops()));
        List<JsonNode> before = lab.gatewayStatus();
        int flows = 400;
        var spread = Netns.call(lab.plan().client(), () -> LabClient.spread(WEB, 80, flows, () -> {}));
        assertFalse(spread.keySet().stream().anyMatch(k -> k.startsWith("error")), spread.toString());
        List<JsonNode> after = lab.gatewayStatus();
        for (int i = 0; i < after.size(); i++) {
            long newFlows = counter(after.get(i), "conn_miss_new") - counter(before.get(i), "conn_miss_new");
            System.out.printf("ECMP: %s took %d of %d new flows%n", lab.plan().nodes().get(i).name(), newFlows, flows);
            assertTrue(newFlows >= flows / 4, lab.plan().nodes().get(i).name() + " took only " + newFlows + " of " + flows);
        }
    }

    @Test
    void killNineOfAGatewayWithdrawsItsVipsAtOnce() throws Exception {
        LabPlan.Node victim = lab.plan().nodes().getFirst();
        LabPlan.Node survivor = lab.plan().nodes().get(1);
        long before = midFlowMisses(survivor);
        Result r = underLoad("kill -9 of " + victim.name() + "'s gateway (FRR stays up)", () -> lab.killGateway(victim));
        assertEquals(List.of("lb2"), lab.routerNextHops().get(ECHO), "the router routes around the dead gateway");
        assertTrue(r.survivedShare() >= 0.99, r.toString());
        assertMovedFlowsCounted(survivor, before, r);
    }

    @Test
    void deathOfAWholeNodeIsDetectedByBfd() throws Exception {
        LabPlan.Node victim = lab.plan().nodes().getFirst();
        LabPlan.Node survivor = lab.plan().nodes().get(1);
        long before = midFlowMisses(survivor);
        Result r = underLoad("kill -9 of " + victim.name() + "'s gateway, zebra, ospfd and bfdd", () -> lab.killNode(victim));
        assertEquals(List.of("lb2"), lab.routerNextHops().get(ECHO));
        assertTrue(r.survivedShare() >= 0.99, r.toString());
        assertMovedFlowsCounted(survivor, before, r);
    }

    @Test
    void drainLosesNoConnection() throws Exception {
        LabPlan.Node victim = lab.plan().nodes().getFirst();
        ProcessHandle gateway = lab.gateway(victim).orElseThrow();
        Result r = underLoad("vgw drain on " + victim.name(), () -> {
            try (ControlClient client = new ControlClient(lab.socket(victim))) {
                client.drain();
            }
            gateway.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
        });
        assertEquals(List.of("lb2"), lab.routerNextHops().get(ECHO));
        assertEquals(STREAMS, r.survived(), "drain loses no connection: " + r);
        assertEquals(0, r.newFailed(), "drain fails no new connection: " + r);
    }

    @Test
    void sigtermDrainsToo() throws Exception {
        LabPlan.Node victim = lab.plan().nodes().getFirst();
        ProcessHandle gateway = lab.gateway(victim).orElseThrow();
        Result r = underLoad("SIGTERM to " + victim.name() + "'s gateway", () -> {
            gateway.destroy();
            gateway.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
        });
        assertEquals(List.of("lb2"), lab.routerNextHops().get(ECHO));
        assertEquals(STREAMS, r.survived(), "SIGTERM drains first: " + r);
        assertEquals(0, r.newFailed(), r.toString());
    }

    @Test
    void aNodeComingBackRegainsItsShareAndFlowsKeepTheirServers() throws Exception {
        LabPlan.Node node = lab.plan().nodes().getFirst();
        lab.killGateway(node);
        lab.awaitRoutes(1, Duration.ofSeconds(10));
        Result r = underLoad(node.name() + " coming back", () -> {
            lab.restartNode(node); // a JVM start: the event is the announcement, when the router's route changes
            lab.awaitRoutes(2, Duration.ofSeconds(30));
        });
        assertEquals(STREAMS, r.survived(), "flows moved back to " + node.name() + " keep their servers: " + r);
        long mid = midFlowMisses(node); // the restarted gateway counts from 0
        System.out.printf("%s after coming back: vgw_conn_misses_total{kind=\"mid\"} %d (flows ECMP moved back, each sent to "
                + "the server it had)%n", node.name(), mid);
        assertTrue(mid > 0, "some of the 100 flows hash back to " + node.name() + ", counted in its metrics");
    }

    // ---- the load and its measurements

    /** What a failover did to the load. */
    record Result(String what, int survived, long routerMillis, long maxGapMillis, long recoveredMillis, int moved,
                  int newOk, int newFailed) {
        double survivedShare() {
            return (double) survived / STREAMS;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: the router's route changed %d ms after the event; %d/%d connections "
                            + "survived without a reset; %d were interrupted, the longest gap %d ms, all moving again %d ms "
                            + "after the event; new connections %d ok, %d failed",
                    what, routerMillis, survived, STREAMS, moved, maxGapMillis, recoveredMillis, newOk, newFailed);
        }
    }

    interface Action {
        void run() throws Exception;
    }

    /**
     * Runs the action under load: 100 echo connections each making a round trip every 50 ms, and a loop opening new
     * connections; then waits until every surviving connection made 20 more round trips (bounded) and measures. The
     * event is the start of the action, or, when the action takes long (a restart), the change of the router's route.
     */
    static Result underLoad(String what, Action action) throws Exception {
        List<Stream> streams = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch open = new CountDownLatch(STREAMS);
        AtomicInteger newOk = new AtomicInteger();
        AtomicInteger newFailed = new AtomicInteger();
        boolean[] running = {true};
        for (int i = 0; i < STREAMS; i++) {
            Stream s = new Stream();
            streams.add(s);
            threads.add(Thread.ofPlatform().name("failover-stream-" + i).start(() -> s.run(open, running)));
        }
        open.await();
        assertEquals(List.of(), streams.stream().filter(s -> s.failure != null).map(s -> s.failure).toList(),
                "every connection opened");
        long[] mark = new long[1];
        Thread newConnections = Thread.ofPlatform().name("failover-new").start(() -> {
            Netns.enter(lab.plan().client());
            while (running[0]) {
                try (LabClient.Stream s = new LabClient.Stream(ECHO, 7)) {
                    s.roundTrip(new byte[16]);
                    if (mark[0] != 0) newOk.incrementAndGet();
                } catch (IOException e) {
                    if (mark[0] != 0) newFailed.incrementAndGet();
                }
                LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
            }
        });
        List<String> hopsBefore = lab.routerNextHops().get(ECHO);
        AtomicLong routeChanged = new AtomicLong();
        List<String> routeHistory = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread router = Thread.ofPlatform().name("failover-router").start(() -> {
            List<String> last = hopsBefore;
            while (running[0]) {
                List<String> now = lab.routerNextHops().get(ECHO);
                if (mark[0] != 0 && !now.equals(last)) {
                    routeChanged.compareAndSet(0, System.nanoTime());
                    routeHistory.add((System.nanoTime() - mark[0]) / 1_000_000 + " ms: " + (now.isEmpty() ? "no route" : now));
                    last = now;
                }
                LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
            }
        });
        try {
            awaitRoundTrips(streams, 10);
            mark[0] = System.nanoTime();
            streams.forEach(s -> s.mark = mark[0]);
            long started = System.nanoTime();
            action.run();
            if (System.nanoTime() - started > Duration.ofSeconds(3).toNanos()) {
                // the action saw the route change; the router thread's poll may not have yet on a loaded machine
                await("the router's route change seen by the poll", Duration.ofSeconds(10), () -> routeChanged.get() != 0);
                mark[0] = routeChanged.get();
            }
            awaitRoundTrips(streams, 20);
            awaitRoundTrips(streams, 20); // a second more, for the loop of new connections
        } finally {
            running[0] = false;
            for (Thread t : threads) t.join(15_000);
            newConnections.join(15_000);
            router.join(15_000);
        }
        int survived = (int) streams.stream().filter(s -> s.failure == null).count();
        long maxGap = streams.stream().filter(s -> s.failure == null).mapToLong(s -> s.maxGap).max().orElse(0) / 1_000_000;
        long recovered = Math.max(0, streams.stream().filter(s -> s.failure == null && s.maxGap > 200_000_000L)
                .mapToLong(s -> s.maxGapEnd - mark[0]).max().orElse(0)) / 1_000_000;
        int moved = (int) streams.stream().filter(s -> s.maxGap > 200_000_000L).count();
        long routerMillis = routeChanged.get() == 0 ? -1 : Math.max(0, routeChanged.get() - mark[0]) / 1_000_000;
        Result r = new Result(what, survived, routerMillis, maxGap, recovered, moved, newOk.get(), newFailed.get());
        System.out.println("FAILOVER " + r);
        System.out.println("  the router's next hops for " + Ipv4.format(ECHO) + " after the event: " + routeHistory);
        streams.stream().filter(s -> s.failure != null).limit(3).forEach(s -> System.out.println("  lost: " + s.failure));
        return r;
    }

    /** One long-lived connection: a 64-byte round trip every 50 ms, the longest gap between two after the mark. */
    static final class Stream {
        volatile long roundTrips;
        volatile Exception failure;
        volatile long mark = Long.MAX_VALUE;
        volatile long maxGap;
        volatile long maxGapEnd;

        void run(CountDownLatch open, boolean[] running) {
            Netns.enter(lab.plan().client());
            byte[] chunk = new byte[64];
            try (LabClient.Stream s = new LabClient.Stream(ECHO, 7)) {
                open.countDown();
                long previous = System.nanoTime();
                while (running[0]) {
                    s.roundTrip(chunk);
                    long now = System.nanoTime();
                    if (now > mark && now - previous > maxGap) {
                        maxGap = now - previous;
                        maxGapEnd = now;
                    }
                    previous = now;
                    roundTrips++;
                    LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
                }
            } catch (IOException e) {
                failure = e;
                open.countDown();
            }
        }
    }

    static void awaitRoundTrips(List<Stream> streams, int more) {
        long[] start = streams.stream().mapToLong(s -> s.roundTrips).toArray();
        await(more + " more round trips on every connection", Duration.ofSeconds(30), () -> {
            for (int i = 0; i < streams.size(); i++) {
                Stream s = streams.get(i);
                if (s.failure == null && s.roundTrips < start[i] + more) return false;
            }
            return true;
        });
    }

    // ---- helpers

    /** The node's mid-flow misses as an operator sees them: its Prometheus metrics. */
    static long midFlowMisses(LabPlan.Node node) throws Exception {
        String series = "vgw_conn_misses_total{kind=\"mid\"}";
        return (long) Lab.metric(node, series).orElseThrow(() -> new AssertionError(node.name() + " has no " + series
                + " in its metrics"));
    }

    /** The flows ECMP moved to the survivor met its connection table mid-flow: its metrics count each. */
    static void assertMovedFlowsCounted(LabPlan.Node survivor, long before, Result r) throws Exception {
        long moved = midFlowMisses(survivor) - before;
        System.out.printf("  %s: vgw_conn_misses_total{kind=\"mid\"} +%d (the flows ECMP moved to it)%n", survivor.name(), moved);
        assertTrue(moved >= r.moved() / 2, "the moved flows show as mid-flow misses in " + survivor.name() + "'s metrics: +"
                + moved + " for " + r.moved() + " interrupted connections");
    }

    static long counter(JsonNode status, String name) {
        return status == null ? 0 : status.path("counters").path(name).asLong();
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out after " + timeout + " waiting for " + what);
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }
}
