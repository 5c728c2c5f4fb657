package io.vgw.gateway.dataplane;

import static io.vgw.gateway.dataplane.Frames.ACK;
import static io.vgw.gateway.dataplane.Frames.FIN;
import static io.vgw.gateway.dataplane.Frames.RST;
import static io.vgw.gateway.dataplane.Frames.SYN;
import static io.vgw.gateway.dataplane.TestWorld.CLIENT;
import static io.vgw.gateway.dataplane.TestWorld.POOL;
import static io.vgw.gateway.dataplane.TestWorld.WEB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Config;
import io.vgw.config.Ipv4;
import io.vgw.config.RealServer;
import io.vgw.config.ServerKey;
import io.vgw.config.ServiceConfig;
import io.vgw.gateway.state.ServerIds;
import io.vgw.gateway.state.StateBuilder;
import io.vgw.maglev.ServiceTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sequences of packets through one pipeline: the connection table across state swaps (reweight, drain, removal,
 * health), SYNs on reused tuples, idle timeouts driven by the tick given to {@link Pipeline#begin}, eviction from a
 * full bucket, misses, and the drops that need a state the fixture world does not have. Expected servers come from
 * {@link ServiceTable}, the "which server gets this flow" oracle.
 */
class PipelineScenarioTest {
    private static final int ROUTER = Ipv4.parse("203.0.113.254");
    private static final int S51 = Ipv4.parse("203.0.113.51");
    private static final int S52 = Ipv4.parse("203.0.113.52");
    private static final int S53 = Ipv4.parse("203.0.113.53");
    private static final int WEB_SERVER = Ipv4.parse("203.0.113.11");
    private static final int DNS = TestWorld.DNS;
    private static final int DNS_SERVER = Ipv4.parse("203.0.113.21");

    private static Config world;
    /** pool reweighted 300 / 100 / 20: a state swap that moves flows. */
    private static Config reweighted;

    @BeforeAll
    static void configs() {
        world = TestWorld.config();
        reweighted = TestWorld.withServers(world, "pool",
                List.of(new RealServer(S51, 0, 300), new RealServer(S52, 0, 100), new RealServer(S53, 0, 20)));
    }

    /** One worker's pipeline with its table, fed frame by frame. */
    private static final class Lane implements AutoCloseable {
        final ConnTable conns;
        final Pipeline pipeline;
        final FrameRunner runner = new FrameRunner();
        final StateBuilder builder = new StateBuilder(new ServerIds(TestWorld.MAX_SERVER_IDS), Long.MAX_VALUE);
        int now = TestWorld.NOW;
        ForwardingState state;

        Lane(int capacity) {
            conns = new ConnTable(capacity);
            pipeline = TestWorld.pipeline(world, conns);
        }

        Lane() {
            this(TestWorld.CONNS);
        }

        Lane use(Config config) {
            return use(config, Map.of());
        }

        Lane use(Config config, Map<String, Set<Integer>> down) {
            state = TestWorld.state(builder, config, down);
            return this;
        }

        Lane at(int tick) {
            now = tick;
            return this;
        }

        FrameRunner.Result send(byte[] frame) {
            pipeline.begin(state, now);
            FrameRunner.Result r = runner.run(pipeline, frame, PacketFixture.DEFAULT_HEADROOM);
            assertEquals("", r.strayWrites(), "stray writes");
            return r;
        }

        /** Sends a frame that must be forwarded IPIP; returns the real server it went to. */
        int server(byte[] frame) {
            FrameRunner.Result r = send(frame);
            assertEquals(Pipeline.TX, r.verdict(), "verdict; counters " + counters());
            byte[] out = r.output();
            assertEquals(4, out[14 + 9], "an IPIP packet");
            return Frames.i32(out, 14 + 16);
        }

        long count(Counter c) {
            return pipeline.counters()[c.ordinal()];
        }

        String counters() {
            StringBuilder s = new StringBuilder();
            for (Counter k : Counter.values()) if (count(k) != 0) s.append(k).append('=').append(count(k)).append(' ');
            return s.toString().trim();
        }

        @Override
        public void close() {
            runner.close();
            conns.close();
        }
    }

    private static int oracle(Config config, String service, int client, int port, int dport) {
        RealServer r = ServiceTable.of(TestWorld.service(config, service)).serverFor(client, port, dport);
        return r == null ? 0 : r.address();
    }

    /** A client port whose pool flow Maglev sends to different servers in the two configs. */
    private static int portMovedBetween(Config a, Config b) {
        for (int port = 20000; port < 60000; port++) {
            if (oracle(a, "pool", CLIENT, port, 80) != oracle(b, "pool", CLIENT, port, 80)) return port;
        }
        throw new AssertionError("no flow moves between the configs");
    }

    private static int portOn(Config config, int server) {
        for (int port = 20000; port < 60000; port++) {
            if (oracle(config, "pool", CLIENT, port, 80) == server) return port;
        }
        throw new AssertionError("no flow on " + Ipv4.format(server));
    }

    private static String ip(int a) {
        return Ipv4.format(a);
    }

    @Test
    void pinnedFlowKeepsItsServerAcrossAReweightingSwap() {
        int port = portMovedBetween(world, reweighted);
        int before = oracle(world, "pool", CLIENT, port, 80);
        int after = oracle(reweighted, "pool", CLIENT, port, 80);
        try (Lane lane = new Lane().use(world)) {
            assertEquals(ip(before), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, SYN))));
            assertEquals(ip(before), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))));
            lane.use(reweighted).at(lane.now + 1);
            assertEquals(ip(before), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK | 0x08))),
                    "an established flow stays on its server although Maglev now says " + ip(after));
            assertEquals(1, lane.count(Counter.CONN_MISS_NEW));
            assertEquals(2, lane.count(Counter.CONN_HITS));
            assertEquals(0, lane.count(Counter.CONN_RESCHEDULED));
            // a new flow follows the new weights
            int other = Ipv4.parse("198.51.100.99");
            for (int p = 30000; p < 30020; p++) {
                assertEquals(ip(oracle(reweighted, "pool", other, p, 80)),
                        ip(lane.server(Frames.tcp(other, p, POOL, 80, SYN))), "new flow " + p);
            }
        }
    }

    @Test
    void drainedServerKeepsItsFlowsButGetsNoNewOnes() {
        int port = portOn(world, S52);
        Config drained = TestWorld.withServers(world, "pool",
                List.of(new RealServer(S51, 0, 100), new RealServer(S52, 0, 0), new RealServer(S53, 0, 100)));
        try (Lane lane = new Lane().use(world)) {
            assertEquals(ip(S52), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, SYN))));
            assertEquals(ip(S52), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))));
            lane.use(drained);
            assertEquals(ip(S52), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))), "drain keeps the flow");
            assertEquals(ip(S52), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, FIN | ACK))));
            assertEquals(0, lane.count(Counter.CONN_RESCHEDULED));
            Random random = new Random(52);
            int[] hits = new int[3];
            for (int i = 0; i < 3000; i++) {
                int client = 0x0a000000 | random.nextInt(1 << 24);
                int p = 1 + random.nextInt(65535);
                int server = lane.server(Frames.tcp(client, p, POOL, 80, SYN));
                assertNotEquals(ip(S52), ip(server), "a new SYN went to the drained server");
                assertEquals(ip(oracle(drained, "pool", client, p, 80)), ip(server));
                hits[server == S51 ? 0 : server == S53 ? 2 : 1]++;
            }
            assertTrue(hits[0] > 1200 && hits[2] > 1200,
                    "new flows spread over .51 and .53: " + hits[0] + "/" + hits[2]);
        }
    }

    @Test
    void removedServersFlowIsRescheduledToMaglevsCurrentChoice() {
        int port = portOn(world, S53);
        Config removed = TestWorld.withServers(world, "pool",
                List.of(new RealServer(S51, 0, 100), new RealServer(S52, 0, 100)));
        int next = oracle(removed, "pool", CLIENT, port, 80);
        try (Lane lane = new Lane().use(world)) {
            assertEquals(ip(S53), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, SYN))));
            assertEquals(ip(S53), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))));
            lane.use(removed).at(lane.now + 3);
            assertEquals(ip(next), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))));
            assertEquals(1, lane.count(Counter.CONN_RESCHEDULED));
            long hits = lane.count(Counter.CONN_HITS);
            assertEquals(ip(next), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))), "stays rescheduled");
            assertEquals(hits + 1, lane.count(Counter.CONN_HITS));
            assertEquals(1, lane.count(Counter.CONN_RESCHEDULED));
        }
    }

    @Test
    void flowOfAServerHealthChecksTookDownIsRescheduled() {
        int port = portOn(world, S51);
        Map<String, Set<Integer>> down = Map.of("pool", Set.of(S51));
        int next = ServiceTable.of(TestWorld.service(world, "pool"), r -> r.address() != S51)
                .serverFor(CLIENT, port, 80).address();
        try (Lane lane = new Lane().use(world)) {
            assertEquals(ip(S51), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, SYN))));
            lane.use(world, down);
            assertEquals(ip(next), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))));
            assertEquals(1, lane.count(Counter.CONN_RESCHEDULED));
            lane.use(world);
            assertEquals(ip(next), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))),
                    "once rescheduled, the flow stays on its new server when the old one comes back");
        }
    }

    @Test
    void synOnAReusedTupleIsRepickedByMaglev() {
        int port = portMovedBetween(world, reweighted);
        int before = oracle(world, "pool", CLIENT, port, 80);
        int after = oracle(reweighted, "pool", CLIENT, port, 80);
        try (Lane lane = new Lane().use(world)) {
            assertEquals(ip(before), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, SYN))));
            assertEquals(ip(before), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))));
            lane.use(reweighted);
            assertEquals(ip(before), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))));
            assertEquals(ip(after), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, SYN))),
                    "a SYN on the same 5-tuple is a new connection: Maglev's current choice");
            assertEquals(ip(after), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))), "and the entry follows");
            assertEquals(0, lane.count(Counter.CONN_RESCHEDULED));
        }
    }

    @Test
    void icmpErrorFollowsTheConnectionEntryElseMaglev() {
        int port = portMovedBetween(world, reweighted);
        int before = oracle(world, "pool", CLIENT, port, 80);
        int after = oracle(reweighted, "pool", CLIENT, port, 80);
        byte[] error = Frames.fragNeededAbout(ROUTER, POOL, 80, CLIENT, port);
        try (Lane lane = new Lane().use(world)) {
            lane.server(Frames.tcp(CLIENT, port, POOL, 80, SYN));
            lane.use(reweighted);
            assertEquals(ip(before), ip(lane.server(error)), "the error goes where the flow's packets go");
            assertEquals(1, lane.count(Counter.ICMP_ERRORS_FORWARDED));
        }
        try (Lane lane = new Lane().use(reweighted)) {
            assertEquals(ip(after), ip(lane.server(error)), "no entry: Maglev's choice");
        }
    }

    // ---- idle timeouts, driven by the tick given to begin() ------------------------------------------------------

    private static ServiceConfig web() {
        return TestWorld.service(world, "web");
    }

    /** Sends a mid-flow ACK at {@code tick}; true when it found its entry. */
    private static boolean ackHits(Lane lane, int port, int tick) {
        long hits = lane.count(Counter.CONN_HITS);
        long mid = lane.count(Counter.CONN_MISS_MID);
        assertEquals(ip(WEB_SERVER), ip(lane.at(tick).server(Frames.tcp(CLIENT, port, WEB, 80, ACK))));
        boolean hit = lane.count(Counter.CONN_HITS) == hits + 1;
        assertEquals(hit ? mid : mid + 1, lane.count(Counter.CONN_MISS_MID), "a miss of an ACK is CONN_MISS_MID");
        return hit;
    }

    @ParameterizedTest(name = "start tick {0}")
    @ValueSource(ints = {1_000, Integer.MAX_VALUE - 3, -5})
    void synOnlyEntryExpiresAfterTcpSyn(int t0) {
        int syn = Ticks.of(web().timeouts().tcpSyn());
        try (Lane lane = new Lane().use(world)) {
            lane.at(t0).server(Frames.tcp(CLIENT, 40000, WEB, 80, SYN));
            assertEquals(1, lane.conns.live(t0 + syn - 1));
            assertEquals(0, lane.conns.live(t0 + syn + 1));
            assertTrue(ackHits(lane, 40000, t0 + syn - 1), "alive just before tcp_syn");
        }
        try (Lane lane = new Lane().use(world)) {
            lane.at(t0).server(Frames.tcp(CLIENT, 40000, WEB, 80, SYN));
            assertTrue(!ackHits(lane, 40000, t0 + syn + 1), "expired after tcp_syn");
        }
    }

    @ParameterizedTest(name = "start tick {0}")
    @ValueSource(ints = {1_000, Integer.MAX_VALUE - 3})
    void establishedEntryExpiresAfterTcp(int t0) {
        int syn = Ticks.of(web().timeouts().tcpSyn());
        int tcp = Ticks.of(web().timeouts().tcp());
        assertTrue(tcp > syn + 2, "the world's tcp timeout is longer than tcp_syn");
        try (Lane lane = new Lane().use(world)) {
            lane.at(t0).server(Frames.tcp(CLIENT, 40000, WEB, 80, SYN));
            assertTrue(ackHits(lane, 40000, t0 + 1));
            // established now: the SYN timeout no longer applies
            assertTrue(ackHits(lane, 40000, t0 + 1 + syn + 1), "established outlives tcp_syn");
            int last = t0 + 1 + syn + 1;
            assertTrue(ackHits(lane, 40000, last + tcp - 1), "alive just before tcp");
            last = last + tcp - 1;
            assertTrue(!ackHits(lane, 40000, last + tcp + 1), "expired after tcp of idleness");
        }
    }

    @Test
    void entryAfterFinExpiresAfterTcpFin() {
        int fin = Ticks.of(web().timeouts().tcpFin());
        int tcp = Ticks.of(web().timeouts().tcp());
        assertTrue(tcp > fin + 2);
        int t0 = 5_000;
        try (Lane lane = new Lane().use(world)) {
            lane.at(t0).server(Frames.tcp(CLIENT, 40000, WEB, 80, SYN));
            assertTrue(ackHits(lane, 40000, t0 + 1));
            lane.at(t0 + 2).server(Frames.tcp(CLIENT, 40000, WEB, 80, FIN | ACK));
            assertEquals(1, lane.conns.live(t0 + 2 + fin - 1));
            assertEquals(0, lane.conns.live(t0 + 2 + fin + 1), "after a FIN the entry lives tcp_fin, not tcp");
            assertTrue(ackHits(lane, 40000, t0 + 2 + fin - 1), "the last ACK within tcp_fin");
            int last = t0 + 2 + fin - 1;
            assertTrue(!ackHits(lane, 40000, last + fin + 1), "an ACK after the FIN does not revive tcp's timeout");
        }
        try (Lane lane = new Lane().use(world)) {
            lane.at(t0).server(Frames.tcp(CLIENT, 40001, WEB, 80, SYN));
            lane.at(t0 + 1).server(Frames.tcp(CLIENT, 40001, WEB, 80, RST));
            assertEquals(0, lane.conns.live(t0 + 1 + fin + 1), "RST: tcp_fin too");
        }
    }

    @Test
    void udpEntryExpiresAfterUdp() {
        int udp = Ticks.of(TestWorld.service(world, "dns").timeouts().udp());
        int t0 = 7_000;
        try (Lane lane = new Lane().use(world)) {
            byte[] query = Frames.udp(CLIENT, 5353, DNS, 53);
            assertEquals(ip(DNS_SERVER), ip(lane.at(t0).server(query)));
            assertEquals(1, lane.count(Counter.CONN_MISS_NEW));
            assertEquals(ip(DNS_SERVER), ip(lane.at(t0 + udp - 1).server(query)));
            assertEquals(1, lane.count(Counter.CONN_HITS), "alive just before udp");
            assertEquals(ip(DNS_SERVER), ip(lane.at(t0 + udp - 1 + udp + 1).server(query)));
            assertEquals(2, lane.count(Counter.CONN_MISS_NEW), "expired after udp of idleness: a new flow");
        }
    }

    // ---- the table itself --------------------------------------------------------------------------------------

    @Test
    void fullBucketEvictsTheEntryClosestToExpiry() {
        // 4 entries = one bucket of 4 ways: every flow hashes into it
        try (Lane lane = new Lane(ConnTable.WAYS).use(world)) {
            assertEquals(ConnTable.WAYS, lane.conns.capacity());
            int t0 = 100;
            for (int p = 0; p < 4; p++) lane.at(t0).server(Frames.tcp(CLIENT, 40000 + p, WEB, 80, SYN));
            for (int p = 1; p < 4; p++) assertTrue(ackHits(lane, 40000 + p, t0 + 1)); // established: expire later
            assertEquals(0, lane.count(Counter.CONN_EVICTED));
            lane.at(t0 + 2).server(Frames.tcp(CLIENT, 40004, WEB, 80, SYN));
            assertEquals(1, lane.count(Counter.CONN_EVICTED), "a fifth flow in a full bucket evicts a live entry");
            assertEquals(4, lane.conns.live(t0 + 2));
            for (int p = 1; p < 5; p++) assertTrue(ackHits(lane, 40000 + p, t0 + 3), "flow " + p + " kept");
            assertTrue(!ackHits(lane, 40000, t0 + 4), "the SYN-only entry (closest to expiry) was the one evicted");
        }
    }

    @Test
    void missesInTheMiddleOfAFlowAndOnNewFlowsAreCountedApart() {
        try (Lane lane = new Lane().use(world)) {
            int port = portOn(world, S52);
            assertEquals(ip(S52), ip(lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK))),
                    "an ACK without entry (another LB had the flow) still goes to Maglev's choice");
            assertEquals(1, lane.count(Counter.CONN_MISS_MID));
            assertEquals(0, lane.count(Counter.CONN_MISS_NEW));
            lane.server(Frames.tcp(CLIENT, port + 1, POOL, 80, SYN));
            assertEquals(1, lane.count(Counter.CONN_MISS_NEW));
            lane.server(Frames.udp(CLIENT, 6000, DNS, 53));
            assertEquals(2, lane.count(Counter.CONN_MISS_NEW), "a new UDP flow is a new-flow miss");
            lane.server(Frames.tcp(CLIENT, port, POOL, 80, ACK));
            assertEquals(1, lane.count(Counter.CONN_HITS), "the mid-flow miss created the entry");
            assertEquals(1, lane.count(Counter.CONN_MISS_MID));
        }
    }

    @Test
    void perServerCountersCountPacketsAndInnerBytesByStableId() {
        try (Lane lane = new Lane().use(world)) {
            byte[] syn = Frames.tcp(CLIENT, 40000, WEB, 80, SYN);
            byte[] query = Frames.udp(CLIENT, 5353, DNS, 53);
            lane.server(syn);
            lane.server(syn);
            lane.server(query);
            lane.use(reweighted); // a swap keeps ids, so the counts go on
            lane.server(syn);
            int web = lane.builder.ids().id(new ServerIds.Pair("web", new ServerKey(Ipv4.parse("203.0.113.11"), 80)));
            int dns = lane.builder.ids().id(new ServerIds.Pair("dns", new ServerKey(Ipv4.parse("203.0.113.21"), 53)));
            long[] s = lane.pipeline.serverCounters();
            assertEquals(3, s[2 * web], "web packets");
            assertEquals(3L * (syn.length - 14), s[2 * web + 1], "web inner IP bytes");
            assertEquals(1, s[2 * dns], "dns packets");
            assertEquals(query.length - 14, s[2 * dns + 1], "dns inner IP bytes");
        }
    }

    /** A server's identity is its address and effective port: writing the default port out is no change at all. */
    @Test
    void writingTheDefaultPortExplicitlyKeepsConnectionsAndCounters() {
        Config explicit = TestWorld.withServers(world, "pool",
                List.of(new RealServer(S51, 80, 100), new RealServer(S52, 80, 100), new RealServer(S53, 80, 100)));
        try (Lane lane = new Lane().use(world)) {
            int server = lane.server(Frames.tcp(CLIENT, 40000, POOL, 80, SYN));
            byte[] ack = Frames.tcp(CLIENT, 40000, POOL, 80, ACK);
            lane.server(ack);
            var pair = new ServerIds.Pair("pool", new ServerKey(server, 80));
            int id = lane.builder.ids().id(pair);
            assertEquals(2, lane.pipeline.serverCounters()[2 * id]);
            lane.use(explicit);
            assertEquals(server, lane.server(ack));
            assertEquals(0, lane.count(Counter.CONN_RESCHEDULED), "the connection kept its entry: " + lane.counters());
            assertEquals(id, lane.builder.ids().id(pair), "same server id");
            assertEquals(3, lane.pipeline.serverCounters()[2 * id], "its counter goes on");
        }
    }

    /** Equal pools share one table; a swap reuses the tables of pools it leaves alone (no copy of what did not change). */
    @Test
    void tablesAreSharedBetweenEqualPoolsAndKeptAcrossSwaps() {
        ServiceConfig pool = TestWorld.service(world, "pool");
        List<ServiceConfig> services = new ArrayList<>(world.services());
        services.add(new ServiceConfig("pool-b", Ipv4.parse("192.0.2.41"), 80, pool.protocol(), pool.tableSize(),
                pool.timeouts(), pool.health(), pool.servers()));
        Config twin = new Config(world.cluster(), services);
        StateBuilder builder = new StateBuilder(new ServerIds(TestWorld.MAX_SERVER_IDS), Long.MAX_VALUE);
        ForwardingState first = TestWorld.state(builder, twin, Map.of());
        int a = index(first, "pool");
        int b = index(first, "pool-b");
        assertSame(first.tables[a], first.tables[b], "one table for two equal pools");
        assertNotEquals(first.base[a], first.base[b], "each service its own servers (ids, counters)");

        Config changed = TestWorld.withServers(twin, "pool",
                List.of(new RealServer(S51, 0, 300), new RealServer(S52, 0, 100), new RealServer(S53, 0, 20)));
        ForwardingState second = TestWorld.state(builder, changed, Map.of());
        assertNotSame(first.tables[a], second.tables[index(second, "pool")], "the reweighted pool got a new table");
        for (String name : List.of("web", "dns", "any", "pool-b")) {
            assertSame(first.tables[index(first, name)], second.tables[index(second, name)], name + " kept its table");
        }
    }

    /** A config whose forwarding state would not fit the budget, the live one included, is refused up front. */
    @Test
    void aConfigOverTheMemoryBudgetIsRefusedBeforeBuilding() {
        StateBuilder builder = new StateBuilder(new ServerIds(TestWorld.MAX_SERVER_IDS), 200_000);
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> builder.requireFits(world, Map.of()));
        assertTrue(ex.getMessage().contains("the budget is 0.2 MiB (forwarding_budget_mb"), ex.getMessage());
        Config small = new Config(world.cluster(), List.of(TestWorld.service(world, "web")));
        builder.requireFits(small, Map.of());
        TestWorld.state(builder, small, Map.of());
        ex = assertThrows(IllegalStateException.class, () -> builder.requireFits(world, Map.of()));
        assertTrue(ex.getMessage().contains("while it replaces the live one (0.1 MiB)"), ex.getMessage());
    }

    private static int index(ForwardingState state, String service) {
        for (int i = 0; i < state.services(); i++) if (state.serviceName(i).equals(service)) return i;
        throw new AssertionError("no service " + service);
    }

    // ---- drops that need a state the fixture world does not have ------------------------------------------------

    @Test
    void noServerUpDropsAsNoServer() {
        try (Lane lane = new Lane().use(world, Map.of("pool", Set.of(S51, S52, S53)))) {
            FrameRunner.Result r = lane.send(Frames.tcp(CLIENT, 40000, POOL, 80, SYN));
            assertEquals(Pipeline.DROP, r.verdict());
            assertEquals(1, lane.count(Counter.DROP_NO_SERVER), lane.counters());
            assertEquals(1, lane.count(Counter.RX));
            assertEquals(0, lane.count(Counter.TX));
        }
    }

    @Test
    void unresolvedNextHopDropsAsNoNextHop() {
        try (Lane lane = new Lane()) {
            lane.state = lane.builder.build(world, Map.of(), a -> a == WEB_SERVER ? 0 : TestWorld.NEXT_HOP_MAC);
            FrameRunner.Result r = lane.send(Frames.tcp(CLIENT, 40000, WEB, 80, SYN));
            assertEquals(Pipeline.DROP, r.verdict());
            assertEquals(1, lane.count(Counter.DROP_NO_NEXT_HOP), lane.counters());
            assertEquals(ip(DNS_SERVER), ip(lane.server(Frames.udp(CLIENT, 5353, DNS, 53))),
                    "other servers unaffected");
        }
    }
}
