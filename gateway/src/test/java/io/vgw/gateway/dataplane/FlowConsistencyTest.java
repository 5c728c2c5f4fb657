package io.vgw.gateway.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Config;
import io.vgw.config.Ipv4;
import io.vgw.config.RealServer;
import io.vgw.config.ServerKey;
import io.vgw.config.ServiceConfig;
import io.vgw.gateway.state.ServerIds;
import io.vgw.gateway.state.StateBuilder;
import io.vgw.maglev.ServiceTable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every LB node must pick the same real server for a flow: two gateways built independently from the same config
 * (their own config load, StateBuilder, ServerIds numbered differently, ConnTable, Pipeline) send each of 100,000
 * random flows to the same server, and that server is {@link ServiceTable}'s answer.
 */
class FlowConsistencyTest {
    private static final int FLOWS = 100_000;
    private static final int HEADROOM = 128;
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** One gateway node, built from scratch. */
    private static final class Node implements AutoCloseable {
        final ConnTable conns = new ConnTable(1 << 17);
        final Pipeline pipeline;
        final ForwardingState state;
        final Arena arena = Arena.ofConfined();
        final MemorySegment buffer = arena.allocate(4096, 64);

        Node(Config config, int idShift) {
            ServerIds ids = new ServerIds(TestWorld.MAX_SERVER_IDS);
            List<ServerIds.Pair> others = new ArrayList<>(); // ids differ between nodes
            for (int i = 0; i < idShift; i++) others.add(new ServerIds.Pair("other-" + i, new ServerKey(0xc0000200 + i, 80)));
            ids.commit(others, ids.assign(others), new int[others.size()]);
            state = new StateBuilder(ids, Long.MAX_VALUE).build(config, Map.of(), a -> TestWorld.NEXT_HOP_MAC);
            pipeline = TestWorld.pipeline(config, conns);
            pipeline.begin(state, TestWorld.NOW);
        }

        /** The real server a frame went to, 0 if it was not encapsulated. */
        int serverFor(byte[] frame) {
            MemorySegment.copy(frame, 0, buffer, ValueLayout.JAVA_BYTE, HEADROOM, frame.length);
            long f = buffer.address() + HEADROOM;
            if (pipeline.process(f, frame.length, HEADROOM) != Pipeline.TX) return 0;
            long start = HEADROOM - pipeline.prepended;
            if (buffer.get(ValueLayout.JAVA_BYTE, start + 14 + 9) != 4) return 0;
            return buffer.get(BE_INT, start + 14 + 16);
        }

        @Override
        public void close() {
            arena.close();
            conns.close();
        }
    }

    static Config variant(String name) {
        Config world = TestWorld.config();
        return switch (name) {
            case "equal" -> world;
            case "weighted" -> TestWorld.withServers(world, "pool", List.of(
                    new RealServer(Ipv4.parse("203.0.113.51"), 0, 250),
                    new RealServer(Ipv4.parse("203.0.113.52"), 0, 37),
                    new RealServer(Ipv4.parse("203.0.113.53"), 0, 100),
                    new RealServer(Ipv4.parse("203.0.113.54"), 8080, 1)));
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "pool {0}")
    @ValueSource(strings = {"equal", "weighted"})
    void independentNodesAgreeWithEachOtherAndTheOracle(String pool) {
        Config a = variant(pool);
        Config b = variant(pool); // loaded again: nothing shared but the files
        ServiceConfig service = TestWorld.service(a, "pool");
        ServiceTable oracle = ServiceTable.of(service);
        Map<String, Integer> spread = new TreeMap<>();
        Random random = new Random(0x5667772dL + pool.hashCode());
        try (Node one = new Node(a, 0); Node two = new Node(b, 7)) {
            for (int i = 0; i < FLOWS; i++) {
                int client = random.nextInt();
                if (client == 0 || client == -1) client = 1;
                int port = random.nextInt(65536);
                int flags = random.nextBoolean() ? Frames.SYN : Frames.ACK;
                byte[] frame = Frames.tcp(client, port, TestWorld.POOL, 80, flags);
                int first = one.serverFor(frame);
                int second = two.serverFor(frame);
                RealServer expected = oracle.serverFor(client, port, 80);
                String flow = Ipv4.format(client) + ":" + port + " -> pool";
                assertEquals(Ipv4.format(expected.address()), Ipv4.format(first), flow + ": node one vs ServiceTable");
                assertEquals(Ipv4.format(first), Ipv4.format(second), flow + ": node two vs node one");
                spread.merge(Ipv4.format(first), 1, Integer::sum);
            }
            assertEquals(FLOWS, one.pipeline.counters()[Counter.ENCAPSULATED.ordinal()]);
            assertEquals(FLOWS, two.pipeline.counters()[Counter.ENCAPSULATED.ordinal()]);
        }
        System.out.println("flow consistency, pool " + pool + ": " + FLOWS + " flows, both nodes = ServiceTable; "
                + "spread " + spread);
        assertTrue(spread.size() >= 3, "flows reached " + spread);
    }
}
