package io.vgw.gateway.dpdk;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One worker's burst: an off-heap array of {@link #SIZE} {@code struct rte_mbuf *} slots that rx fills
 * and tx drains, plus a staging array for mbufs to drop. One downcall per burst, none per packet, and
 * no allocation in {@link #rx}, {@link #tx}, {@link #txOrFree}, {@link #free}, {@link #drop}.
 *
 * <p>Not thread-safe: one Burst per worker thread (which has called {@link Eal#registerThread()}).
 * A typical loop:
 *
 * <pre>{@code
 * int n = burst.rx(in, queue);
 * int kept = 0;
 * for (int i = 0; i < n; i++) {
 *     long m = burst.mbuf(i);
 *     if (process(Mbuf.MEMORY, Mbuf.data(m), Mbuf.dataLen(m))) keep[kept++] = m; else burst.drop(m);
 * }
 * burst.set(keep, kept);
 * burst.flushDropped();
 * burst.txOrFree(out, queue, kept);
 * }</pre>
 *
 * Ownership: after {@code rx} the caller owns slots {@code [0, n)}; {@code tx} hands
 * {@code [0, sent)} to the driver and leaves {@code [sent, n)} with the caller, who must send them
 * again or {@link #free} them.
 */
public final class Burst implements AutoCloseable {

    /** Slots per burst (the usual DPDK burst size). */
    public static final int SIZE = 32;

    private final Arena arena;
    private final MemorySegment slots;      // struct rte_mbuf *slots[SIZE]
    private final long slotsAddress;
    private final MemorySegment dropped;    // struct rte_mbuf *dropped[SIZE]
    private final long droppedAddress;
    private int droppedCount;
    private boolean closed;

    public Burst() {
        Shim.ensureLoaded();
        arena = Arena.ofShared();
        slots = arena.allocate(JAVA_LONG, SIZE);
        slotsAddress = slots.address();
        dropped = arena.allocate(JAVA_LONG, SIZE);
        droppedAddress = dropped.address();
    }

    /**
     * {@code rte_eth_rx_burst(port, queue, slots, SIZE)}.
     *
     * @return n, the mbufs received into slots {@code [0, n)}
     */
    public int rx(int port, int queue) {
        checkOpen();
        try {
            return (short) Shim.RX_BURST.invokeExact((short) port, (short) queue, slotsAddress, (short) SIZE) & 0xffff;
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /**
     * {@code rte_eth_tx_burst(port, queue, slots, n)}: queues slots {@code [0, n)} for sending.
     *
     * @return sent; slots {@code [sent, n)} were not taken and are still the caller's
     */
    public int tx(int port, int queue, int n) {
        checkOpen();
        checkCount(n);
        try {
            return (short) Shim.TX_BURST.invokeExact((short) port, (short) queue, slotsAddress, (short) n) & 0xffff;
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /**
     * {@link #tx} then frees what the driver did not take (a full tx ring drops, it does not wait).
     *
     * @return sent; {@code n - sent} mbufs were freed
     */
    public int txOrFree(int port, int queue, int n) {
        int sent = tx(port, queue, n);
        if (sent < n) {
            free(sent, n);
        }
        return sent;
    }

    /** {@code rte_pktmbuf_free_bulk} of slots {@code [from, to)} (chained segments included). */
    public void free(int from, int to) {
        checkOpen();
        if (from < 0 || to > SIZE || from > to) {
            throw new IndexOutOfBoundsException("free [" + from + ", " + to + ") of " + SIZE + " slots");
        }
        if (from == to) {
            return;
        }
        try {
            Shim.FREE_BULK.invokeExact(slotsAddress + (long) from * Long.BYTES, to - from);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** The mbuf in slot {@code i} (an address for {@link Mbuf}'s accessors). */
    public long mbuf(int i) {
        return slots.getAtIndex(JAVA_LONG, i);
    }

    /**
     * Puts {@code mbufs[0, n)} into slots {@code [0, n)} in one copy: a worker collects the kept packets in a Java
     * array and hands them over once per burst, not one slot write per packet.
     */
    public void set(long[] mbufs, int n) {
        checkCount(n);
        MemorySegment.copy(mbufs, 0, slots, JAVA_LONG, 0, n);
    }

    /**
     * Stages an mbuf to be freed: freed in bulk by {@link #flushDropped()}, or at once when
     * {@link #SIZE} are staged. The caller must not touch it afterwards.
     */
    public void drop(long mbuf) {
        dropped.setAtIndex(JAVA_LONG, droppedCount++, mbuf);
        if (droppedCount == SIZE) {
            flushDropped();
        }
    }

    /** Frees the mbufs staged by {@link #drop} ({@code rte_pktmbuf_free_bulk}). */
    public void flushDropped() {
        if (droppedCount == 0) {
            return;
        }
        checkOpen();
        int n = droppedCount;
        droppedCount = 0;
        try {
            Shim.FREE_BULK.invokeExact(droppedAddress, n);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** Mbufs staged by {@link #drop} and not yet freed. */
    public int droppedPending() {
        return droppedCount;
    }

    /**
     * Frees the staged drops and the off-heap arrays. Slots still owned by the caller are not freed
     * (the Burst does not track them): {@link #free} them first.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        flushDropped();
        closed = true;
        arena.close();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("burst is closed");
        }
    }

    private static void checkCount(int n) {
        if (n < 0 || n > SIZE) {
            throw new IndexOutOfBoundsException("burst of " + n + " (0.." + SIZE + ")");
        }
    }
}
