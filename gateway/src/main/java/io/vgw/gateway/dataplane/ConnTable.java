package io.vgw.gateway.dataplane;

import io.vgw.gateway.os.HugeMemory;
import io.vgw.maglev.Hashing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One worker's connection table: which real server each flow was sent to. Off-heap, fixed capacity, no locks (one
 * writer: the worker), no allocation and no GC work per packet.
 *
 * <p>Two-choice cuckoo hashing with 2-slot buckets (as DPDK's rte_hash): a bucket is one 64-byte cache line of
 * {@link #BUCKET_SLOTS} slots, and a flow may live in either of two buckets, its primary ({@code hash & mask}) and
 * its alternate ({@code primary ^ (signature | 1)}, where the signature is the hash's high 32 bits, kept in the
 * slot so an entry's other bucket is known without rehashing its key). A lookup reads at most those two lines,
 * touched ahead by {@link #touch} and, when the primary holds no slot with the flow's signature,
 * {@link #touchAlternate}. An insert takes a free (unused or expired) slot of either bucket, else makes
 * room by moving entries to their other bucket along a bounded random walk ({@link #MAX_MOVES}); only when that
 * fails — a table close to full — is the live entry closest to its expiry among the {@link #WAYS} candidates
 * evicted, and walks pause for the rest of the tick (a full table then costs an eviction, not a walk, per insert). So live flows do not evict each other at 50 % load (five flows sharing a bucket no longer thrash), and
 * a full table still degrades into an LRU-like cache instead of refusing flows.
 *
 * <pre>
 * bucket (64 bytes, one cache line) = 2 slots; slot (32 bytes)
 *  0  u64  key A     src_ip << 32 | dst_ip
 *  8  u64  key B     src_port << 24 | dst_port << 8 | protocol   (0: never used; protocol is never 0)
 * 16  u32  server    the real server's stable id (not a table index: it survives state swaps)
 * 20  i32  expires   tick after which the entry is dead (compared wrap-safe)
 * 24  u8   state     {@link #SYN}, {@link #ESTABLISHED}, {@link #CLOSING}, {@link #UDP}
 * 25  ..   padding
 * 28  u32  signature flow hash >>> 32: gives the entry's other bucket when it has to move
 * </pre>
 */
public final class ConnTable implements AutoCloseable {
    public static final int SLOT = 32;
    public static final int BUCKET_SLOTS = 2;
    /** Slots a flow may occupy: two buckets. */
    public static final int WAYS = 2 * BUCKET_SLOTS;
    private static final int BUCKET = SLOT * BUCKET_SLOTS;
    /** Bound of the cuckoo walk: entries moved at most per insert (the walk is slow-path work, on a miss). */
    static final int MAX_MOVES = 16;

    public static final int SYN = 1;
    public static final int ESTABLISHED = 2;
    public static final int CLOSING = 3;
    public static final int UDP = 4;

    // Slots are 32-byte aligned; the unaligned layouts only spare the JIT an alignment check per access.
    private static final int KEY_A = 0;
    private static final int KEY_B = 8;
    private static final int SERVER = 16;
    private static final int EXPIRES = 20;
    private static final int STATE = 24;
    private static final int SIGNATURE = 28;

    private final Arena arena;
    private final MemorySegment memory;
    private final long base;
    private final long bucketMask;
    private final int capacity;
    /** The slots of the current cuckoo walk, to move entries back along it (preallocated: no allocation). */
    private final long[] path = new long[MAX_MOVES + 1];
    /** Seeds each walk's pseudo-random choices (deterministic: a test replays the same moves). */
    private long walk;
    /**
     * After a walk fails, inserts evict without walking for the rest of that tick: a full table would otherwise pay
     * a whole walk per insert, and entries only expire (making room again) when the tick moves on.
     */
    private boolean walkFailed;
    private int walkFailedAt;
    /** Set by {@link #insert} when it had to evict a live entry. */
    boolean evicted;

    /** @param entries capacity, rounded up to a power of two (at least {@link #WAYS}) */
    public ConnTable(int entries) {
        if (entries < 1 || entries > (1 << 28)) throw new IllegalArgumentException("entries must be 1..2^28: " + entries);
        capacity = Math.max(WAYS, Integer.highestOneBit(entries - 1) << 1);
        arena = Arena.ofShared();
        memory = HugeMemory.allocate(arena, (long) capacity * SLOT);
        base = memory.address();
        bucketMask = capacity / BUCKET_SLOTS - 1;
    }

    public int capacity() {
        return capacity;
    }

    /** Bytes of memory per entry of capacity. */
    public static int bytesPerEntry() {
        return SLOT;
    }

    private long primary(long hash) {
        return base + (hash & bucketMask) * BUCKET;
    }

    /** The other bucket of an entry with this signature that sits in {@code bucket}. */
    private long other(long bucket, int signature) {
        long index = (bucket - base) / BUCKET;
        return base + ((index ^ (signature | 1)) & bucketMask) * BUCKET;
    }

    private static int signature(long hash) {
        return (int) (hash >>> 32);
    }

    /**
     * Starts loading a flow's primary bucket into the cache and returns a word of it (the caller folds it into a
     * local so the load is not optimised away: Java has no prefetch instruction). Touching every primary bucket of a
     * burst in one tight loop overlaps the cache misses instead of paying them one after another.
     */
    long touch(long hash) {
        return Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, primary(hash) + KEY_B);
    }

    /**
     * The second round of touches: when no slot of the (by now cached) primary bucket carries the flow's signature,
     * its entry can only be in the alternate bucket, or nowhere (a new flow, which may be inserted there): starts
     * loading that one. A flow found in its primary bucket, as most are, loads one cache line instead of two.
     */
    long touchAlternate(long hash) {
        long b = primary(hash);
        int signature = signature(hash);
        if (Net.MEM.get(ValueLayout.JAVA_INT_UNALIGNED, b + SIGNATURE) == signature
                || Net.MEM.get(ValueLayout.JAVA_INT_UNALIGNED, b + SLOT + SIGNATURE) == signature) {
            return 0;
        }
        return Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, other(b, signature) + KEY_B);
    }

    /** The live entry for a flow, as a slot address, or 0. */
    long find(long keyA, long keyB, long hash, int now) {
        long b = primary(hash);
        long s = findIn(b, keyA, keyB, now);
        return s != 0 ? s : findIn(other(b, signature(hash)), keyA, keyB, now);
    }

    private static long findIn(long bucket, long keyA, long keyB, int now) {
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            long s = bucket + (long) i * SLOT;
            if (holds(s, keyA, keyB) && expires(s) - now > 0) return s;
        }
        return 0;
    }

    /** An unused or expired slot of the bucket, or 0. */
    private static long freeIn(long bucket, int now) {
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            long s = bucket + (long) i * SLOT;
            if (vacant(s, now)) return s;
        }
        return 0;
    }

    /** Whether the slot is unused or its entry expired. */
    private static boolean vacant(long s, int now) {
        return Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, s + KEY_B) == 0 || expires(s) - now <= 0;
    }

    /** Whether the slot's key is the flow's (live or not). */
    private static boolean holds(long s, long keyA, long keyB) {
        return Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, s + KEY_B) == keyB
                && Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, s + KEY_A) == keyA;
    }

    /**
     * A slot for a flow that has no live entry: a free one in either bucket, else one freed by moving entries to
     * their other buckets, else the live candidate closest to expiry (setting {@link #evicted}). The key and
     * signature are written; the caller sets server, state and expiry.
     */
    long insert(long keyA, long keyB, long hash, int now) {
        long first = primary(hash);
        long second = other(first, signature(hash));
        long slot = freeIn(first, now);
        if (slot == 0) slot = freeIn(second, now);
        return place(slot, first, second, keyA, keyB, hash, now);
    }

    /**
     * {@link #find} and {@link #insert} in one pass over the flow's slots, for a packet that starts a flow (a SYN
     * skips the lookup, as Katran's does): the slot of the flow's live entry when it has one (a client reusing a
     * port), else a new one as {@link #insert} makes it.
     */
    long findOrInsert(long keyA, long keyB, long hash, int now) {
        long first = primary(hash);
        long second = other(first, signature(hash));
        long free = 0;
        for (int i = 0; i < WAYS; i++) {
            long s = (i < BUCKET_SLOTS ? first : second) + (long) (i % BUCKET_SLOTS) * SLOT;
            if (vacant(s, now)) {
                if (free == 0) free = s;
            } else if (holds(s, keyA, keyB)) {
                evicted = false;
                return s;
            }
        }
        return place(free, first, second, keyA, keyB, hash, now);
    }

    /** Makes {@code slot} (a free slot of the flow's buckets, or 0 when they have none) the flow's: see insert. */
    private long place(long slot, long first, long second, long keyA, long keyB, long hash, int now) {
        evicted = false;
        if (slot == 0 && !(walkFailed && walkFailedAt == now)) {
            slot = makeRoom(first, second, now);
            walkFailed = slot == 0;
            walkFailedAt = now;
        }
        if (slot == 0) {
            slot = soonestToExpire(first, second, now);
            evicted = true;
        }
        Net.MEM.set(ValueLayout.JAVA_LONG_UNALIGNED, slot + KEY_A, keyA);
        Net.MEM.set(ValueLayout.JAVA_LONG_UNALIGNED, slot + KEY_B, keyB);
        Net.MEM.set(ValueLayout.JAVA_INT_UNALIGNED, slot + SIGNATURE, signature(hash));
        return slot;
    }

    /**
     * The cuckoo walk: from one of the full candidate buckets, follow an entry to its other bucket; if that has a
     * free slot, move the entry there, and so on back along the path, freeing a slot of the first bucket. Bounded,
     * and a walk that comes back to a slot it already holds stops (moving along a cycle would misplace entries).
     *
     * @return the freed candidate slot, or 0 when no free slot was found within {@link #MAX_MOVES}
     */
    private long makeRoom(long first, long second, int now) {
        int random = (int) Hashing.mix64(++walk);
        long bucket = random < 0 ? first : second;
        for (int depth = 0; depth < MAX_MOVES; depth++) {
            long s = bucket + (long) (random >>> depth & (BUCKET_SLOTS - 1)) * SLOT;
            for (int i = 0; i < depth; i++) if (path[i] == s) return 0;
            path[depth] = s;
            long target = other(bucket, Net.MEM.get(ValueLayout.JAVA_INT_UNALIGNED, s + SIGNATURE));
            long free = freeIn(target, now);
            if (free != 0) {
                for (int i = depth; i >= 0; i--) {
                    MemorySegment.copy(memory, path[i] - base, memory, free - base, SLOT);
                    free = path[i];
                }
                return free;
            }
            bucket = target;
        }
        return 0;
    }

    private static long soonestToExpire(long first, long second, int now) {
        long victim = first;
        int soonest = Integer.MAX_VALUE;
        for (int i = 0; i < WAYS; i++) {
            long s = (i < BUCKET_SLOTS ? first : second) + (long) (i % BUCKET_SLOTS) * SLOT;
            int left = expires(s) - now;
            if (left < soonest) {
                soonest = left;
                victim = s;
            }
        }
        return victim;
    }

    /**
     * A slot's server and expiry as one word (one load on the hit path): {@link #serverOf} and {@link #expiresOf}
     * take it apart (the fields are in native order, so which half is which depends on it).
     */
    static long entry(long slot) {
        return Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, slot + SERVER);
    }

    private static final int SERVER_SHIFT = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 0 : 32;

    static int server(long slot) {
        return Net.MEM.get(ValueLayout.JAVA_INT_UNALIGNED, slot + SERVER);
    }

    static int serverOf(long entry) {
        return (int) (entry >>> SERVER_SHIFT);
    }

    static int expiresOf(long entry) {
        return (int) (entry >>> (32 - SERVER_SHIFT));
    }

    static int state(long slot) {
        return Net.MEM.get(ValueLayout.JAVA_BYTE, slot + STATE);
    }

    static int expires(long slot) {
        return Net.MEM.get(ValueLayout.JAVA_INT_UNALIGNED, slot + EXPIRES);
    }

    static void set(long slot, int server, int state, int expires) {
        Net.MEM.set(ValueLayout.JAVA_INT_UNALIGNED, slot + SERVER, server);
        Net.MEM.set(ValueLayout.JAVA_INT_UNALIGNED, slot + EXPIRES, expires);
        Net.MEM.set(ValueLayout.JAVA_BYTE, slot + STATE, (byte) state);
    }

    /** Live entries at {@code now}: a full scan, for metrics (racy against the worker, so approximate). */
    public long live(int now) {
        long count = 0;
        for (long s = base, end = base + (long) capacity * SLOT; s < end; s += SLOT) {
            if (!vacant(s, now)) count++;
        }
        return count;
    }

    @Override
    public void close() {
        arena.close();
    }
}
