package io.vgw.maglev;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MaglevTest {
    static final int M = 65537;

    /** Identities of n servers 203.0.113.0 + i (wrapping into the next /24s), port 80. */
    static long[] servers(int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = ((0xcb007100L + i + 1) << 16) | 80;
        return ids;
    }

    static int[] weights(int n, int w) {
        int[] weights = new int[n];
        Arrays.fill(weights, w);
        return weights;
    }

    /** The table as an int array of server indexes (NONE for none), to compare whole tables. */
    static int[] build(long[] ids, int[] weights, int m) {
        MaglevTable table = Maglev.build(ids, weights, m);
        int[] slots = new int[m];
        for (int i = 0; i < m; i++) slots[i] = table.server(i);
        return slots;
    }

    static int[] counts(int[] table, int n) {
        int[] counts = new int[n];
        for (int s : table) counts[s]++;
        return counts;
    }

    /**
     * Golden tables for three servers 203.0.113.1-3 port 80, computed independently by a Python transcription of
     * the documented algorithm (README, "Hashing"): a change to the hashes or the population order shows up here.
     */
    @Test
    void goldenSmallTables() {
        int[] equal = build(servers(3), weights(3, 1), 13);
        assertArrayEquals(new int[] {0, 1, 2, 2, 1, 0, 0, 2, 0, 2, 1, 1, 0}, equal, "M=13 weights 1,1,1: " + Arrays.toString(equal));
        int[] weighted = build(servers(3), new int[] {3, 1, 2}, 17);
        assertArrayEquals(new int[] {0, 1, 0, 2, 2, 0, 0, 0, 2, 2, 2, 0, 2, 0, 0, 1, 1}, weighted,
                "M=17 weights 3,1,2: " + Arrays.toString(weighted));
    }

    /**
     * The documented population written as plainly as possible (probe every permutation to a free slot, pick the
     * next claimer by a linear scan for the least k / w): the optimised build (round-robin turns for equal weights,
     * sorted tails for the last free slots) must give the very same tables.
     */
    static int[] reference(long[] ids, int[] w, int m) {
        int n = ids.length;
        int[] table = new int[m];
        Arrays.fill(table, Maglev.NONE);
        int[] next = new int[n];
        long[] claims = new long[n];
        boolean[] taken = new boolean[m];
        for (int i = 0; i < n; i++) next[i] = Hashing.offset(ids[i], m);
        for (int filled = 0; filled < m; filled++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (w[i] == 0) continue;
                if (best < 0 || claims[i] * w[best] < claims[best] * w[i]) best = i;
            }
            if (best < 0) break;
            int slot = next[best];
            while (taken[slot]) slot = (slot + Hashing.skip(ids[best], m)) % m;
            taken[slot] = true;
            table[slot] = best;
            next[best] = (slot + Hashing.skip(ids[best], m)) % m;
            claims[best]++;
        }
        return table;
    }

    @Test
    void optimisedBuildEqualsTheReference() {
        SplittableRandom random = new SplittableRandom(11);
        int[][] cases = {{1, 101}, {3, 1009}, {10, 65537}, {37, 65537}, {100, 65537}, {7, 10007}};
        for (int[] c : cases) {
            long[] ids = servers(c[0]);
            for (int[] w : List.of(weights(c[0], 100), random.ints(c[0], 0, 1000).toArray())) {
                assertArrayEquals(reference(ids, w, c[1]), build(ids, w, c[1]),
                        c[0] + " servers, M=" + c[1] + ", weights " + Arrays.toString(w));
            }
        }
    }

    /**
     * Random pools (any identities, not only neighbouring addresses), equal weights, random weights with zeros,
     * weights summing above M (the heap's turns) and small primes where the sorted tail is most of the table: every
     * node must build the same table, so any faster build must give exactly the documented one.
     */
    @Test
    void randomPoolsEqualTheReference() {
        SplittableRandom random = new SplittableRandom(8);
        int[] sizes = {101, 1009, 4099, 65537};
        for (int round = 0; round < 60; round++) {
            int m = sizes[round % sizes.length];
            int n = 1 + random.nextInt(Math.min(40, m / 100 + 1));
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) ids[i] = random.nextLong() & 0xffff_ffff_ffffL;
            int[] w = switch (round % 3) {
                case 0 -> weights(n, 100);
                case 1 -> random.ints(n, 0, 4).map(x -> x == 0 ? 0 : random.nextInt(1, 1000)).toArray();
                default -> random.ints(n, 30_000, 65_536).toArray();
            };
            assertArrayEquals(reference(ids, w, m), build(ids, w, m),
                    n + " servers " + Arrays.toString(ids) + ", M=" + m + ", weights " + Arrays.toString(w));
        }
    }

    /**
     * Pools like a big config's (ten servers at M = 65,537), where two turns at a time probe side by side: equal
     * weights, and small weights whose period repeats a server in consecutive turns. Over this many claims a pair's
     * second often first finds the slot its first just took.
     */
    @Test
    void pairedClaimsEqualTheReference() {
        SplittableRandom random = new SplittableRandom(16);
        for (int round = 0; round < 24; round++) {
            long[] ids = new long[2 + random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) ids[i] = random.nextLong() & 0xffff_ffff_ffffL;
            int[] w = round % 2 == 0 ? weights(ids.length, 100) : random.ints(ids.length, 1, 4).toArray();
            assertArrayEquals(reference(ids, w, 65537), build(ids, w, 65537),
                    Arrays.toString(ids) + ", weights " + Arrays.toString(w));
        }
    }

    @Test
    void equalWeightsBalance() {
        int n = 100;
        int[] c = counts(build(servers(n), weights(n, 1), M), n);
        double mean = (double) M / n;
        int max = Arrays.stream(c).max().orElseThrow();
        int min = Arrays.stream(c).min().orElseThrow();
        assertTrue(max / mean <= 1.01, String.format(Locale.ROOT,
                "100 equal servers, M=%d: max/mean = %.4f (max %d, min %d, mean %.1f)", M, max / mean, max, min, mean));
    }

    @Test
    void weightsGiveProportionalShares() {
        int[] w = {100, 50, 25, 200, 1000, 7, 300};
        long[] ids = servers(w.length);
        int[] c = counts(build(ids, w, M), w.length);
        int total = Arrays.stream(w).sum();
        StringBuilder report = new StringBuilder();
        double worst = 0;
        for (int i = 0; i < w.length; i++) {
            double ideal = (double) M * w[i] / total;
            double error = Math.abs(c[i] - ideal) / ideal;
            worst = Math.max(worst, error);
            report.append(String.format(Locale.ROOT, "w=%d entries=%d ideal=%.1f error=%.3f%%; ", w[i], c[i], ideal, 100 * error));
        }
        assertTrue(worst <= 0.01, "every share within 1% of its ideal: " + report);
    }

    @Test
    void zeroWeightGetsNothing() {
        int[] c = counts(build(servers(3), new int[] {5, 0, 5}, M), 3);
        assertEquals(0, c[1]);
        assertEquals(M, c[0] + c[2]);
        assertTrue(Arrays.stream(build(servers(3), new int[] {0, 0, 0}, 101)).allMatch(s -> s == Maglev.NONE));
    }

    @Test
    void sameInputSameTable() {
        long[] ids = servers(1000);
        int[] w = new SplittableRandom(7).ints(1000, 1, 1000).toArray();
        assertArrayEquals(build(ids, w, M), build(ids.clone(), w.clone(), M));
    }

    /** The seed's scenario: 3 servers, server 2 fails: flows of 1 and 3 stay, those of 2 spread evenly over 1 and 3. */
    @Test
    void serverFailureMovesOnlyItsFlows() {
        long[] ids = servers(3);
        int[] before = build(ids, weights(3, 1), M);
        int[] after = build(ids, new int[] {1, 0, 1}, M);
        int moved = 0;
        int toFirst = 0;
        int toThird = 0;
        for (int i = 0; i < M; i++) {
            if (before[i] != 1) {
                if (after[i] != before[i]) moved++;
            } else if (after[i] == 0) {
                toFirst++;
            } else {
                toThird++;
            }
        }
        // Maglev is near-monotone, not perfectly (paper, section 3.4): a handful of entries may swap between survivors.
        assertTrue(moved < M / 1000, String.format(Locale.ROOT,
                "entries of servers 1 and 3 that moved: %d of %d (%.3f%%)", moved, M, 100.0 * moved / M));
        double balance = (double) toFirst / (toFirst + toThird);
        assertTrue(Math.abs(balance - 0.5) < 0.02, String.format(Locale.ROOT,
                "server 2's %d entries went %d to server 1 and %d to server 3 (%.1f%% / %.1f%%)",
                toFirst + toThird, toFirst, toThird, 100 * balance, 100 * (1 - balance)));
    }

    /** The seed's scenario: a 4th server is added: only flows that go to 4 move. */
    @Test
    void addedServerTakesOnlyItsShare() {
        long[] four = servers(4);
        long[] three = Arrays.copyOf(four, 3);
        int[] before = build(three, weights(3, 1), M);
        int[] after = build(four, weights(4, 1), M);
        int movedElsewhere = 0;
        int toNew = 0;
        for (int i = 0; i < M; i++) {
            if (after[i] == 3) toNew++;
            else if (after[i] != before[i]) movedElsewhere++;
        }
        double share = (double) toNew / M;
        double extra = (double) movedElsewhere / M;
        assertTrue(Math.abs(share - 0.25) < 0.01, String.format(Locale.ROOT, "the new server got %.2f%% of the table", 100 * share));
        // Maglev is not perfectly monotone (section 3.4 of the paper): a few entries move between old servers.
        assertTrue(extra < 0.02, String.format(Locale.ROOT,
                "entries moving between the old servers: %.2f%% (%d of %d)", 100 * extra, movedElsewhere, M));
    }

    /**
     * Removing one of N servers moves at least 1/N of the flows; Maglev's extra disruption comes on top (paper,
     * figure 12). Table sizes follow the validation rule M >= 100 x N.
     */
    @Test
    void disruptionOnRemovalIsCloseToTheTheoreticalMinimum() {
        int[] sizes = {10, 100, 1000};
        double[] bounds = {1.1, 2.0, 5.0}; // measured 1.02, 1.58, 4.26: regression guards, not goals
        for (int k = 0; k < sizes.length; k++) {
            int n = sizes[k];
            int m = n * 100 <= M ? M : 655373;
            long[] ids = servers(n);
            int[] before = build(ids, weights(n, 1), m);
            int[] w = weights(n, 1);
            w[n / 2] = 0;
            int[] after = build(ids, w, m);
            int moved = 0;
            for (int i = 0; i < m; i++) if (before[i] != after[i]) moved++;
            double measured = (double) moved / m;
            double ideal = 1.0 / n;
            String figures = String.format(Locale.ROOT, "N=%d M=%d: moved %.3f%%, theoretical minimum 1/N = %.3f%%, ratio %.2f",
                    n, m, 100 * measured, 100 * ideal, measured / ideal);
            System.out.println("maglev disruption " + figures);
            assertTrue(measured >= ideal * 0.95, figures);
            assertTrue(measured / ideal < bounds[k], figures);
        }
    }
}
