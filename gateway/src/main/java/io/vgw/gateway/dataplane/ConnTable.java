package io.vgw.gateway.dataplane;

import io.vgw.gateway.os.HugeMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One worker's connection table: which real server each flow was sent to. Off-heap, fixed capacity, no locks (one
 * writer: the worker), no allocation and no GC work per packet.
 *
 * <p>Set-associative open addressing: the flow hash picks a bucket of {@link #WAYS} slots (two cache lines); a flow
 * lives in one of them. An expired entry counts as free. When every slot of a bucket is live, the entry closest to
 * its expiry is evicted — bounded work per packet, no tombstones, and a full table degrades into an LRU-like cache
 * instead of refusing flows.
 *
 * <pre>
 * slot (32 bytes)
 *  0  u64  key A   src_ip << 32 | dst_ip
 *  8  u64  key B   src_port << 24 | dst_port << 8 | protocol   (0: never used; protocol is never 0)
 * 16  u32  server  the real server's stable id (not a table index: it survives state swaps)
 * 20  i32  expires tick after which the entry is dead (compared wrap-safe)
 * 24  u8   state   {@link #SYN}, {@link #ESTABLISHED}, {@link #CLOSING}, {@link #UDP}
 * 25  ..   padding to 32
 * </pre>
 */
public final class ConnTable implements AutoCloseable {
    public static final int SLOT = 32;
    public static final int WAYS = 4;
    private static final int BUCKET = SLOT * WAYS;

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

    private final Arena arena;
    private final MemorySegment memory;
    private final long base;
    private final long bucketMask;
    private final int capacity;
    /** Set by {@link #insert} when it had to evict a live entry. */
    boolean evicted;

    /** @param entries capacity, rounded up to a power of two (at least {@link #WAYS}) */
    public ConnTable(int entries) {
        if (entries < 1 || entries > (1 << 28)) throw new IllegalArgumentException("entries must be 1..2^28: " + entries);
        capacity = Math.max(WAYS, Integer.highestOneBit(entries - 1) << 1);
        arena = Arena.ofShared();
        memory = HugeMemory.allocate(arena, (long) capacity * SLOT);
        base = memory.address();
        bucketMask = capacity / WAYS - 1;
    }

    public int capacity() {
        return capacity;
    }

    /** Bytes of memory per entry of capacity. */
    public static int bytesPerEntry() {
        return SLOT;
    }

    private long bucket(long hash) {
        return base + (hash & bucketMask) * BUCKET;
    }

    /**
     * Starts loading a flow's bucket into the cache and returns a word of it (the caller folds it into a field so
     * the load is not optimised away). Touching every bucket of a burst before processing it overlaps the cache
     * misses instead of paying them one after another.
     */
    long touch(long hash) {
        return Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, bucket(hash) + KEY_B);
    }

    /** The live entry for a flow, as a slot address, or 0. */
    long find(long keyA, long keyB, long hash, int now) {
        long b = bucket(hash);
        for (int i = 0; i < WAYS; i++) {
            long s = b + (long) i * SLOT;
            if (Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, s + KEY_B) == keyB
                    && Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, s + KEY_A) == keyA && expires(s) - now > 0) {
                return s;
            }
        }
        return 0;
    }

    /**
     * A slot for a flow that has no live entry: an unused or expired one, else the live one closest to expiry
     * (setting {@link #evicted}). The key is written; the caller sets server, state and expiry.
     */
    long insert(long keyA, long keyB, long hash, int now) {
        long b = bucket(hash);
        long victim = b;
        int soonest = Integer.MAX_VALUE;
        evicted = false;
        for (int i = 0; i < WAYS; i++) {
            long s = b + (long) i * SLOT;
            int left = expires(s) - now;
            if (Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, s + KEY_B) == 0 || left <= 0) {
                victim = s;
                soonest = Integer.MIN_VALUE;
                break;
            }
            if (left < soonest) {
                soonest = left;
                victim = s;
            }
        }
        evicted = soonest != Integer.MIN_VALUE;
        Net.MEM.set(ValueLayout.JAVA_LONG_UNALIGNED, victim + KEY_A, keyA);
        Net.MEM.set(ValueLayout.JAVA_LONG_UNALIGNED, victim + KEY_B, keyB);
        return victim;
    }

    static int server(long slot) {
        return Net.MEM.get(ValueLayout.JAVA_INT_UNALIGNED, slot + SERVER);
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
            if (Net.MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, s + KEY_B) != 0 && expires(s) - now > 0) count++;
        }
        return count;
    }

    @Override
    public void close() {
        arena.close();
    }
}
