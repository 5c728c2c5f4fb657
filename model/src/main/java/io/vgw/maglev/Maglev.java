package io.vgw.maglev;

/**
 * Weighted Maglev lookup tables (Eisenbud et al., NSDI 2016, section 3.4), extended so each server's share of the
 * table is proportional to its weight.
 *
 * <p>The paper fills the table round-robin: each server in turn claims the next free slot of its own permutation
 * {@code (offset + j * skip) mod M}. Here the turns are weighted by stride scheduling: server i's k-th claim
 * (k = 0, 1, 2, ...) happens at virtual time {@code k / w_i}; claims are made in order of virtual time, ties going to
 * the lower index. With equal weights this is exactly the paper's round-robin; with weights, every server ends with
 * {@code M * w_i / sum(w)} entries give or take one. Weight 0 claims nothing. The order of the servers is the
 * caller's sorted order (ServiceConfig sorts by identity), so every node builds byte-identical tables.
 *
 * <p>Cost: O(M log N) turns (a binary heap of servers keyed by next claim time; equal weights need none: the turns
 * are then round-robin) plus the permutation probes, which total about M ln M as in the paper.
 */
public final class Maglev {
    /** {@link MaglevTable#server}'s answer for a slot no server owns (no server of positive weight). */
    public static final int NONE = -1;

    private Maglev() {}

    /**
     * @param identities the servers' identities in canonical order ({@code RealServer.identity})
     * @param weights    their weights, 0..65535
     * @param m          the table size, a prime
     * @return the table: for each slot, the index of the owning server in {@code identities}, or {@link #NONE}
     */
    public static MaglevTable build(long[] identities, int[] weights, int m) {
        if (identities.length != weights.length) throw new IllegalArgumentException("one weight per server");
        if (m < 2) throw new IllegalArgumentException("table size must be a prime");
        if (identities.length >= Character.MAX_VALUE) throw new IllegalArgumentException("pool too large");
        char[] table = new char[m]; // server index + 1; 0: none
        int n = identities.length;
        int[] next = new int[n];   // next permutation position of each server
        int[] skip = new int[n];
        long[] claims = new long[n]; // k: claims made so far
        int[] heap = new int[n];
        int size = 0;
        for (int i = 0; i < n; i++) {
            if (weights[i] < 0 || weights[i] > 65535) throw new IllegalArgumentException("weight out of range: " + weights[i]);
            if (weights[i] == 0) continue;
            next[i] = Hashing.offset(identities[i], m);
            skip[i] = Hashing.skip(identities[i], m);
            heap[size++] = i;
        }
        if (size == 0) return new MaglevTable(table, n);
        boolean equal = true;
        for (int i = 1; i < size; i++) equal &= weights[heap[i]] == weights[heap[0]];
        if (!equal) for (int i = size / 2 - 1; i >= 0; i--) siftDown(heap, size, i, claims, weights);
        // Probing dominates (about M ln M probes in all); a bitset of taken slots is 32x smaller than the table
        // (8 KiB at M = 65537, in L1), which makes each probe cheap.
        long[] taken = new long[(m + 63) >>> 6];
        int turn = 0; // equal weights: claims go round-robin in index order, which is what the heap would give
        for (int filled = 0; filled < m; filled++) {
            int server = equal ? heap[turn] : heap[0];
            int slot = next[server];
            while ((taken[slot >>> 6] & (1L << slot)) != 0) {
                slot += skip[server];
                if (slot >= m) slot -= m;
            }
            taken[slot >>> 6] |= 1L << slot;
            table[slot] = (char) (server + 1);
            slot += skip[server];
            next[server] = slot >= m ? slot - m : slot;
            if (equal) {
                if (++turn == size) turn = 0;
            } else {
                claims[server]++;
                siftDown(heap, size, 0, claims, weights);
            }
        }
        return new MaglevTable(table, n);
    }

    /** True when server a claims before server b: k_a / w_a < k_b / w_b, ties to the lower index. */
    private static boolean before(int a, int b, long[] claims, int[] weights) {
        long left = claims[a] * weights[b];
        long right = claims[b] * weights[a];
        return left < right || (left == right && a < b);
    }

    private static void siftDown(int[] heap, int size, int i, long[] claims, int[] weights) {
        int item = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && before(heap[child + 1], heap[child], claims, weights)) child++;
            if (!before(heap[child], item, claims, weights)) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = item;
    }
}
