package io.vgw.gateway.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.maglev.Hashing;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The table on its own, with deterministic pseudo-random flows: live flows must not evict each other at the loads
 * the gateway is sized for (bench/dataplane case (b) runs the same at 700,000 flows in 2^21 entries).
 */
class ConnTableTest {
    private static final int NOW = 1_000;
    private static final int LONG = 1_000_000;

    private static long keyA(long flow) {
        return (0xc6120000L | (flow >>> 16 & 0xffff)) << 32 | 0xc000020aL;
    }

    private static long keyB(long flow) {
        return (1024 + (flow & 0xffff)) << 24 | 80L << 8 | 6;
    }

    private static long hash(long a, long b) {
        return Hashing.flow((int) (a >>> 32), (int) a, (int) (b >>> 24), (int) (b >>> 8) & 0xffff, (int) b & 0xff);
    }

    /** Inserts {@code flows} distinct flows (established, far from expiry); returns how many inserts evicted. */
    private static int fill(ConnTable table, long[] flows) {
        int evictions = 0;
        for (long f : flows) {
            long a = keyA(f), b = keyB(f);
            long slot = table.insert(a, b, hash(a, b), NOW);
            ConnTable.set(slot, (int) (f % 1000), ConnTable.ESTABLISHED, NOW + LONG);
            if (table.evicted) evictions++;
        }
        return evictions;
    }

    private static long[] distinctFlows(int count, long seed) {
        long[] flows = new long[count];
        SplittableRandom random = new SplittableRandom(seed);
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < count; ) {
            long f = random.nextLong() & 0xffffffffL;
            if (seen.add(f)) flows[i++] = f;
        }
        return flows;
    }

    /** A SYN's single pass: a flow's live entry is found (a reused port), an absent or expired one is made anew. */
    @Test
    void findOrInsertReusesOnlyALiveEntry() {
        long[] flows = distinctFlows(1000, 7);
        try (ConnTable table = new ConnTable(1 << 12)) {
            fill(table, flows);
            for (long f : flows) {
                long a = keyA(f), b = keyB(f);
                assertEquals(table.find(a, b, hash(a, b), NOW), table.findOrInsert(a, b, hash(a, b), NOW), "flow " + f);
            }
            long a = keyA(flows[0]), b = keyB(flows[0]);
            long expired = table.find(a, b, hash(a, b), NOW);
            ConnTable.set(expired, 1, ConnTable.ESTABLISHED, NOW);
            assertEquals(0, table.find(a, b, hash(a, b), NOW));
            long fresh = table.findOrInsert(a, b, hash(a, b), NOW);
            ConnTable.set(fresh, 2, ConnTable.SYN, NOW + LONG);
            assertEquals(fresh, table.find(a, b, hash(a, b), NOW), "the new entry is the one found");
            long other = keyA(1L << 40);
            assertEquals(0, table.find(other, b, hash(other, b), NOW));
            long made = table.findOrInsert(other, b, hash(other, b), NOW);
            ConnTable.set(made, 3, ConnTable.SYN, NOW + LONG);
            assertEquals(made, table.find(other, b, hash(other, b), NOW));
        }
    }

    @Test
    void noLiveFlowIsLostAtHalfLoad() {
        int capacity = 1 << 18;
        long[] flows = distinctFlows(capacity / 2, 42);
        try (ConnTable table = new ConnTable(capacity)) {
            assertEquals(0, fill(table, flows), "no eviction at 50 % load");
            int missing = 0;
            for (long f : flows) {
                long a = keyA(f), b = keyB(f);
                long slot = table.find(a, b, hash(a, b), NOW + 1);
                if (slot == 0 || ConnTable.server(slot) != (int) (f % 1000)) missing++;
            }
            assertEquals(0, missing, "every flow found with its server after the cuckoo moves");
            assertEquals(flows.length, table.live(NOW + 1));
        }
    }

    @Test
    void replayingFlowsAtHalfLoadMissesBelowOneInTenThousand() {
        // As bench/dataplane (b): every packet of a flow looks its entry up; a miss re-inserts it (and may evict).
        int capacity = 1 << 16;
        long[] flows = distinctFlows(capacity / 2, 7);
        try (ConnTable table = new ConnTable(capacity)) {
            fill(table, flows);
            long misses = 0, packets = 0;
            for (int round = 0; round < 20; round++) {
                for (long f : flows) {
                    long a = keyA(f), b = keyB(f), h = hash(a, b);
                    packets++;
                    if (table.find(a, b, h, NOW + round) == 0) {
                        misses++;
                        ConnTable.set(table.insert(a, b, h, NOW + round), 1, ConnTable.ESTABLISHED, NOW + LONG);
                    }
                }
            }
            assertTrue(misses * 10_000 < packets, "mid-flow misses " + misses + " of " + packets);
        }
    }

    @Test
    void expiredEntriesAreFreeSlots() {
        try (ConnTable table = new ConnTable(1 << 10)) {
            long[] flows = distinctFlows(1 << 10, 3);
            for (long f : flows) {
                long a = keyA(f), b = keyB(f);
                ConnTable.set(table.insert(a, b, hash(a, b), NOW), 1, ConnTable.SYN, NOW + 5);
            }
            long[] next = distinctFlows(1 << 9, 4);
            int evictions = 0;
            for (long f : next) {
                long a = keyA(f), b = keyB(f);
                ConnTable.set(table.insert(a, b, hash(a, b), NOW + 6), 1, ConnTable.ESTABLISHED, NOW + LONG);
                if (table.evicted) evictions++;
            }
            assertEquals(0, evictions, "dead entries are reused, never counted as evictions");
            assertEquals(next.length, table.live(NOW + 6));
        }
    }

    @Test
    void aFullTableEvictsTheCandidateClosestToExpiry() {
        try (ConnTable table = new ConnTable(ConnTable.WAYS)) {
            long[] flows = distinctFlows(ConnTable.WAYS + 1, 5);
            for (int i = 0; i < ConnTable.WAYS; i++) {
                long a = keyA(flows[i]), b = keyB(flows[i]);
                ConnTable.set(table.insert(a, b, hash(a, b), NOW), i, ConnTable.ESTABLISHED, NOW + 100 + i);
                assertTrue(!table.evicted);
            }
            long a = keyA(flows[ConnTable.WAYS]), b = keyB(flows[ConnTable.WAYS]);
            ConnTable.set(table.insert(a, b, hash(a, b), NOW), 9, ConnTable.ESTABLISHED, NOW + 200);
            assertTrue(table.evicted);
            long a0 = keyA(flows[0]), b0 = keyB(flows[0]);
            assertEquals(0, table.find(a0, b0, hash(a0, b0), NOW), "the entry closest to expiry went");
            for (int i = 1; i <= ConnTable.WAYS; i++) {
                long ai = keyA(flows[i]), bi = keyB(flows[i]);
                assertTrue(table.find(ai, bi, hash(ai, bi), NOW) != 0, "flow " + i + " kept");
            }
        }
    }
}
