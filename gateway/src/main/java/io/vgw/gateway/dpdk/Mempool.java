package io.vgw.gateway.dpdk;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A packet-buffer pool ({@code rte_pktmbuf_pool_create}). Every rx queue draws its mbufs from one;
 * each lcore (the main one and every {@linkplain Eal#registerThread() registered} thread) keeps a
 * private cache of up to {@code cacheSize} of them.
 */
public final class Mempool implements AutoCloseable {

    /** {@code RTE_MBUF_DEFAULT_BUF_SIZE}: 2048 bytes of data room plus the headroom. */
    public static final int DEFAULT_DATA_ROOM = Layout.MBUF_DEFAULT_BUF_SIZE;

    /** {@code RTE_MEMPOOL_CACHE_MAX_SIZE} is 512; 256 is the usual choice. */
    public static final int DEFAULT_CACHE_SIZE = 256;

    private final String name;
    private final MemorySegment pool;
    private final int size;
    private volatile boolean closed;

    private Mempool(String name, MemorySegment pool, int size) {
        this.name = name;
        this.pool = pool;
        this.size = size;
    }

    /**
     * Creates a pool.
     *
     * @param name      unique among the live pools of the process
     * @param mbufs     number of mbufs; {@code 2^k - 1} is the most memory-efficient
     * @param cacheSize per-lcore cache (at most 512, and at most {@code mbufs / 1.5})
     * @param dataRoom  bytes per buffer including {@link Mbuf#HEADROOM}, {@link #DEFAULT_DATA_ROOM} typically
     * @throws DpdkException with rte_errno (ENOMEM: the EAL's {@code -m} is too small for it)
     */
    public static Mempool create(String name, int mbufs, int cacheSize, int dataRoom) {
        if (Eal.current().isEmpty()) {
            throw new IllegalStateException("initialize the EAL (Eal.init) before creating mempool " + name);
        }
        if (mbufs <= 0 || cacheSize < 0 || dataRoom <= Mbuf.HEADROOM || dataRoom > 0xffff) {
            throw new IllegalArgumentException("mempool " + name + ": mbufs=" + mbufs + " cacheSize=" + cacheSize
                    + " dataRoom=" + dataRoom);
        }
        MemorySegment pool;
        try (Arena arena = Arena.ofConfined()) {
            pool = (MemorySegment) Shim.PKTMBUF_POOL_CREATE.invokeExact(arena.allocateFrom(name), mbufs, cacheSize,
                    (short) 0, (short) dataRoom, Layout.SOCKET_ID_ANY);
            if (pool.equals(MemorySegment.NULL)) {
                throw DpdkException.fromRteErrno("rte_pktmbuf_pool_create(" + name + ", n=" + mbufs + ", cache="
                        + cacheSize + ", data_room=" + dataRoom + ")");
            }
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        return new Mempool(name, pool, mbufs);
    }

    /**
     * A pool size that cannot run dry: every rx and tx descriptor of every queue may hold an mbuf,
     * each worker has {@link Burst#SIZE} more in flight and each lcore cache up to 1.5× its size.
     */
    public static int sizeFor(int queuesTotal, int rxDescriptors, int txDescriptors, int workers, int cacheSize) {
        long n = (long) queuesTotal * (rxDescriptors + txDescriptors)
                + (long) workers * (Burst.SIZE * 2L + cacheSize * 3L / 2)
                + cacheSize * 3L / 2; // the main lcore
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("mempool too large: " + n);
        }
        int size = 1;
        while (size - 1 < n) {
            size <<= 1;
        }
        return size - 1;
    }

    public String name() {
        return name;
    }

    /** The number of mbufs it was created with. */
    public int size() {
        return size;
    }

    /** {@code struct rte_mempool *} */
    public long address() {
        return pool.address();
    }

    /** The {@code struct rte_mempool *} for downcalls. */
    MemorySegment segment() {
        checkOpen();
        return pool;
    }

    /** {@code rte_mempool_avail_count}: free mbufs, the lcore caches included. */
    public int available() {
        checkOpen();
        try {
            return (int) Shim.MEMPOOL_AVAIL_COUNT.invokeExact(pool);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** {@code rte_mempool_in_use_count}: mbufs handed out (held by queues, bursts or packet code). */
    public int inUse() {
        checkOpen();
        try {
            return (int) Shim.MEMPOOL_IN_USE_COUNT.invokeExact(pool);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /**
     * {@code rte_pktmbuf_alloc}: one mbuf, reset, with {@link Mbuf#HEADROOM} of headroom and length 0;
     * 0 when the pool is empty. Free it with {@link Burst#free} or hand it to a tx burst.
     */
    public long alloc() {
        try {
            return (long) Shim.PKTMBUF_ALLOC.invokeExact(pool.address());
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** {@code rte_mempool_free}. Only once no port queue and no packet uses its mbufs any more. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Shim.MEMPOOL_FREE.invokeExact(pool);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("mempool " + name + " is closed");
        }
    }

    @Override
    public String toString() {
        return "Mempool[" + name + ", " + size + " mbufs]";
    }
}
