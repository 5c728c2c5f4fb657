package io.vgw.gateway.dpdk;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;

/**
 * Static accessors for {@code struct rte_mbuf} fields, on an mbuf given by its address (a
 * {@code long}, as {@link Burst#mbuf(int)} returns it). Nothing here allocates or calls native code.
 *
 * <p>Packet bytes and mbuf fields are read and written through one unbounded view of the address
 * space, {@link #MEMORY}; packet code takes {@code (MEMORY, Mbuf.data(m))} and reads with unaligned,
 * big-endian layouts as the protocol wants. Offsets come from the shim ({@link Layout}); the field
 * of {@code struct rte_mbuf} (rte_mbuf_core.h, DPDK 22.11) is named next to each accessor:
 *
 * <pre>
 * struct rte_mbuf {
 *     void *buf_addr;            // start of the buffer                      -> data
 *     ...
 *     uint16_t data_off;         // offset of the data in the buffer         -> dataOff, headroom
 *     uint16_t refcnt;
 *     uint16_t nb_segs;          // number of segments                       -> segments
 *     ...
 *     uint32_t pkt_len;          // sum of data_len of all segments          -> pktLen
 *     uint16_t data_len;         // bytes in this segment                    -> dataLen
 *     ...
 *     uint16_t buf_len;          // buffer length                            -> tailroom, setLength
 *     ...
 * };
 * </pre>
 *
 * Only single-segment mbufs ({@code nb_segs == 1}) may be resized here; the data plane sizes its
 * pool's data room for the MTU, so received frames are single-segment.
 */
public final class Mbuf {

    /**
     * The whole address space as one segment: {@code MemorySegment.NULL.reinterpret(Long.MAX_VALUE)}.
     * An absolute address is its offset. There are no bounds but the packet's own length: check
     * {@link #dataLen} before reading past the headers you validated.
     */
    @SuppressWarnings("restricted")
    public static final MemorySegment MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** {@code RTE_PKTMBUF_HEADROOM}: headroom of a freshly received or allocated mbuf. */
    public static final int HEADROOM = Layout.PKTMBUF_HEADROOM;

    private static final long BUF_ADDR = Layout.MBUF_BUF_ADDR;
    private static final long DATA_OFF = Layout.MBUF_DATA_OFF;
    private static final long DATA_LEN = Layout.MBUF_DATA_LEN;
    private static final long PKT_LEN = Layout.MBUF_PKT_LEN;
    private static final long NB_SEGS = Layout.MBUF_NB_SEGS;
    private static final long BUF_LEN = Layout.MBUF_BUF_LEN;

    private Mbuf() {
    }

    /** {@code void *buf_addr}: start of the buffer (the headroom begins here). */
    private static long bufAddr(long m) {
        return MEMORY.get(JAVA_LONG, m + BUF_ADDR);
    }

    /** {@code uint16_t data_off}: where the data starts, relative to {@code buf_addr}. */
    public static int dataOff(long m) {
        return Short.toUnsignedInt(MEMORY.get(JAVA_SHORT, m + DATA_OFF));
    }

    /** Address of the first data byte: {@code buf_addr + data_off} (rte_pktmbuf_mtod). */
    public static long data(long m) {
        return bufAddr(m) + dataOff(m);
    }

    /** {@code uint16_t data_len}: bytes of data in this segment. */
    public static int dataLen(long m) {
        return Short.toUnsignedInt(MEMORY.get(JAVA_SHORT, m + DATA_LEN));
    }

    /** {@code uint32_t pkt_len}: bytes of the whole packet (all segments). */
    public static int pktLen(long m) {
        return MEMORY.get(JAVA_INT, m + PKT_LEN);
    }

    /** {@code uint16_t buf_len}: size of the buffer, headroom included. */
    private static int bufLen(long m) {
        return Short.toUnsignedInt(MEMORY.get(JAVA_SHORT, m + BUF_LEN));
    }

    /** {@code uint16_t nb_segs}: 1 unless the packet is chained. */
    public static int segments(long m) {
        return Short.toUnsignedInt(MEMORY.get(JAVA_SHORT, m + NB_SEGS));
    }

    /** Free bytes before the data ({@code data_off}; rte_pktmbuf_headroom). */
    public static int headroom(long m) {
        return dataOff(m);
    }

    /** Free bytes after the data of this segment ({@code buf_len - data_off - data_len}). */
    public static int tailroom(long m) {
        return bufLen(m) - dataOff(m) - dataLen(m);
    }

    /**
     * Reframes a single-segment packet rewritten in place: its data starts {@code n} bytes earlier, in the headroom
     * (rte_pktmbuf_prepend), and is {@code length} bytes long, growing into the tailroom if need be ({@code data_off
     * -= n; data_len = pkt_len = length}); new bytes are uninitialized. Reads the fields it checks once.
     *
     * @return false, changing nothing, if the packet is chained, the headroom is smaller than {@code n} or the
     *         buffer too small
     */
    public static boolean reframe(long m, int n, int length) {
        int off = dataOff(m);
        if (n < 0 || n > off || length < 0 || length > bufLen(m) - (off - n) || segments(m) != 1) {
            return false;
        }
        MEMORY.set(JAVA_SHORT, m + DATA_OFF, (short) (off - n));
        MEMORY.set(JAVA_SHORT, m + DATA_LEN, (short) length);
        MEMORY.set(JAVA_INT, m + PKT_LEN, length);
        return true;
    }

    /** Copies the data of a single segment into a new array (tests and diagnostics, not the hot path). */
    public static byte[] toArray(long m) {
        byte[] bytes = new byte[dataLen(m)];
        MemorySegment.copy(MEMORY, JAVA_BYTE, data(m), bytes, 0, bytes.length);
        return bytes;
    }
}
