package io.vgw.maglev;

import java.util.Arrays;

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
 * <p>Cost: the turns (round-robin for equal weights, one precomputed period when the weights sum to at most M, else a
 * binary heap of servers keyed by next claim time: O(M log N)) plus the permutation probes, about M ln M as in the
 * paper, cut down at the end by sorting each server's way to the last free slots. Precomputed turns claim two
 * different servers' slots at a time, probing side by side: a claim's costliest branch is its loop's exit.
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
        int n = identities.length;
        // Filled in its final width (no wide copy to narrow afterwards): the table is all that outlives the build.
        byte[] narrow = n <= MaglevTable.NARROW_SERVERS ? new byte[m] : null; // server index + 1; 0: none
        char[] wide = narrow == null ? new char[m] : null;
        int[] entries = new int[n];
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
        if (size == 0) return new MaglevTable(narrow, wide, entries);
        boolean equal = true;
        long total = 0;
        for (int i = 0; i < size; i++) {
            equal &= weights[heap[i]] == weights[heap[0]];
            total += weights[heap[i]];
        }
        // The turns do not depend on the table: within each unit of virtual time they repeat. Equal weights take
        // turns round-robin in index order; other weights summing to at most M follow one precomputed period; only
        // larger sums need the heap.
        int[] turns = equal ? Arrays.copyOf(heap, size) : total <= m ? period(heap, size, weights, (int) total) : null;
        if (turns == null) for (int i = size / 2 - 1; i >= 0; i--) siftDown(heap, size, i, claims, weights);
        Scratch scratch = SCRATCH.get();
        // Probing dominates (about M ln M probes in all); a bitset of taken slots is 32x smaller than the table
        // (8 KiB at M = 65537, in L1), which makes each probe cheap.
        long[] taken = scratch.taken((m + 63) >>> 6);
        // The last free slots cost the most probes (about M / free each). Once few are left, each server instead
        // sorts them by how many steps of its permutation away they are and takes the first still free: the same
        // slot probing would reach, for N x free work instead of M ln(free).
        int tail = m / (8 * size);
        int probed = m - tail;
        int turn = 0;
        int filled = 0;
        // Claims in pairs (below) while a claim probes fewer than about 80 slots on average; beyond that, waiting
        // for the pair's slower search costs more than the exit it saves (1,000 servers: their tail is 8 slots).
        int paired = Math.min(probed, m - m / 80) - 1;
        // Two loops, not one with the switch inside: the probe loop runs without per-claim checks of its phase.
        while (filled < probed) {
            int server = turns != null ? turns[turn] : heap[0];
            int then = turns != null && filled < paired ? turns[turn + 1 == turns.length ? 0 : turn + 1] : server;
            if (then != server) {
                // Two turns of different servers probe side by side, without a branch on what a probe finds: each
                // claim's loop exit is one mispredicted branch (the probe count is random), and this takes one per
                // pair. The first claims the first free slot of its permutation; the second's first free slot
                // stands unless that is the slot the first just took, in which case it probes on from there.
                int backA = skip[server] - m;
                int backB = skip[then] - m;
                int a = next[server];
                int b = next[then];
                int foundA = 0; // -1 once found; the slot found stays in slotA while a moves on
                int foundB = 0;
                int slotA = 0;
                int slotB = 0;
                while (true) {
                    int freeA = (int) (taken[a >>> 6] >>> a & 1) - 1 & ~foundA; // -1: free, and the first free
                    int freeB = (int) (taken[b >>> 6] >>> b & 1) - 1 & ~foundB;
                    slotA |= freeA & a;
                    slotB |= freeB & b;
                    foundA |= freeA;
                    foundB |= freeB;
                    if ((foundA & foundB) != 0) break;
                    a += backA;
                    a += (a >> 31) & m;
                    b += backB;
                    b += (b >> 31) & m;
                }
                take(slotA, server, taken, narrow, wide, entries);
                while ((taken[slotB >>> 6] & (1L << slotB)) != 0) {
                    slotB += backB;
                    slotB += (slotB >> 31) & m;
                }
                take(slotB, then, taken, narrow, wide, entries);
                slotA += backA;
                next[server] = slotA + ((slotA >> 31) & m);
                slotB += backB;
                next[then] = slotB + ((slotB >> 31) & m);
                turn = advance(advance(turn, turns, server, claims, heap, size, weights), turns, then, claims, heap, size, weights);
                filled += 2;
                continue;
            }
            int back = skip[server] - m; // a step forward as a step back plus m when that went below 0: no branch
            int slot = next[server];
            while ((taken[slot >>> 6] & (1L << slot)) != 0) {
                slot += back;
                slot += (slot >> 31) & m;
            }
            take(slot, server, taken, narrow, wide, entries);
            slot += back;
            next[server] = slot + ((slot >> 31) & m);
            turn = advance(turn, turns, server, claims, heap, size, weights);
            filled++;
        }
        if (tail > 0) {
            long[] ahead = remaining(scratch, taken, m, tail, heap, size, next, skip); // heap[h]'s at [h * tail, ...)
            int[] seen = new int[n]; // per server: its next index into ahead
            for (int h = 0; h < size; h++) seen[heap[h]] = h * tail;
            for (; filled < m; filled++) {
                int server = turns != null ? turns[turn] : heap[0];
                int k = seen[server];
                while ((taken[(int) ahead[k] >>> 6] & (1L << ahead[k])) != 0) k++;
                seen[server] = k + 1;
                take((int) ahead[k], server, taken, narrow, wide, entries);
                turn = advance(turn, turns, server, claims, heap, size, weights);
            }
        }
        return new MaglevTable(narrow, wide, entries);
    }

    /** A server claims a slot: taken in the bitset, its index + 1 in the table, one more entry to its count. */
    private static void take(int slot, int server, long[] taken, byte[] narrow, char[] wide, int[] entries) {
        taken[slot >>> 6] |= 1L << slot;
        if (narrow != null) narrow[slot] = (byte) (server + 1);
        else wide[slot] = (char) (server + 1);
        entries[server]++;
    }

    /** The turn after a server's claim: the next precomputed one, or (no turns) the heap's top once it counted the claim. */
    private static int advance(int turn, int[] turns, int server, long[] claims, int[] heap, int size, int[] weights) {
        if (turns != null) return turn + 1 == turns.length ? 0 : turn + 1;
        claims[server]++;
        siftDown(heap, size, 0, claims, weights);
        return turn;
    }

    /**
     * Each thread's work arrays, reused: tables are built by the thousand in parallel (a config swap), and fresh
     * bitsets and tail orders would be about as much garbage as the tables themselves are data.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        private long[] taken = new long[0];
        private long[] ahead = new long[0];
        private int[] slots = new int[0];

        /** A cleared bitset of at least {@code words} words. */
        long[] taken(int words) {
            if (taken.length < words) taken = new long[words];
            else Arrays.fill(taken, 0, words, 0L);
            return taken;
        }

        long[] ahead(int length) {
            if (ahead.length < length) ahead = new long[length];
            return ahead;
        }

        int[] slots(int length) {
            if (slots.length < length) slots = new int[length];
            return slots;
        }
    }

    /**
     * For each active server heap[h], the free slots in the order its permutation reaches them from its next
     * position, at [h * free, (h + 1) * free): the step count j with next + j * skip = slot (mod M) is
     * (slot - next) * skip^-1 mod M, packed above the slot.
     */
    private static long[] remaining(Scratch scratch, long[] taken, int m, int free, int[] heap, int size, int[] next,
                                    int[] skip) {
        int[] slots = scratch.slots(free);
        int count = 0;
        for (int w = 0; w < (m + 63) >>> 6; w++) {
            for (long bits = ~taken[w]; bits != 0; bits &= bits - 1) {
                int slot = w << 6 | Long.numberOfTrailingZeros(bits);
                if (slot < m) slots[count++] = slot;
            }
        }
        long[] ahead = scratch.ahead(size * free);
        for (int h = 0; h < size; h++) {
            int server = heap[h];
            long inverse = inverse(skip[server], m);
            int from = h * free;
            for (int k = 0; k < free; k++) {
                int delta = slots[k] - next[server];
                if (delta < 0) delta += m;
                ahead[from + k] = (delta * inverse % m) << 32 | slots[k];
            }
            Arrays.sort(ahead, from, from + free);
        }
        return ahead;
    }

    /**
     * One unit of virtual time of claims: server i's claims k = 0 .. w_i - 1 at times k / w_i, in time order, ties
     * to the lower index. A time is keyed exactly by floor(k * 2^32 / w_i): two distinct fractions of denominators
     * below 2^16 differ by more than 2^-32, so their keys differ in the same order, and equal ones are equal.
     */
    private static int[] period(int[] active, int size, int[] weights, int total) {
        long[] events = new long[total];
        int e = 0;
        for (int h = 0; h < size; h++) {
            int i = active[h];
            for (long k = 0; k < weights[i]; k++) events[e++] = (k << 32) / weights[i] << 16 | i;
        }
        Arrays.sort(events);
        int[] turns = new int[total];
        for (int t = 0; t < total; t++) turns[t] = (int) (events[t] & 0xffff);
        return turns;
    }

    /** a^-1 mod m for a prime m (extended Euclid). */
    private static long inverse(long a, long m) {
        long r0 = m;
        long r1 = a;
        long t0 = 0;
        long t1 = 1;
        while (r1 != 0) {
            long q = r0 / r1;
            long r = r0 - q * r1;
            r0 = r1;
            r1 = r;
            long t = t0 - q * t1;
            t0 = t1;
            t1 = t;
        }
        return t0 < 0 ? t0 + m : t0;
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
