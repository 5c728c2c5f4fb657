package io.vgw.gateway.dpdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A short forwarding run on two net_null ports, on a registered worker thread, like testpmd's
 * {@code --forward-mode=io}: rx from each port, tx to the other. Asserts that packets moved, that the
 * warmed-up loop does not allocate and that no mbuf leaked; prints the rate (no timing assertion: the
 * machine is shared and noisy).
 */
class NullForwardSmokeTest {

    private static final long PACKETS = 5_000_000;
    private static final long MEASURED_PACKETS = 1_000_000;
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    @BeforeAll
    static void eal() {
        DpdkTestSupport.eal();
    }

    @Test
    void forwardsMillionsOfPacketsOnARegisteredThread() throws Exception {
        Mempool pool = DpdkTestSupport.pool();
        int inUseBefore = pool.inUse();
        try (Port p0 = Port.attach(DpdkTestSupport.uniqueName("net_null"));
             Port p1 = Port.attach(DpdkTestSupport.uniqueName("net_null"))) {
            for (Port p : new Port[] {p0, p1}) {
                p.configure(1, 1, 1024, 1024, pool);
                p.start();
            }
            int port0 = p0.id();
            int port1 = p1.id();

            CompletableFuture<long[][]> result = new CompletableFuture<>();
            Thread worker = Thread.ofPlatform().name("vgw-null-fwd").start(() -> {
                int lcore = Eal.registerThread();
                try (Burst burst = new Burst()) {
                    long[] cold = forward(burst, port0, port1, PACKETS);           // includes JIT warm-up
                    long[] warm = forward(burst, port0, port1, MEASURED_PACKETS);  // compiled loop
                    result.complete(new long[][] {cold, warm, {lcore}});
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                } finally {
                    Eal.unregisterThread();
                }
            });
            worker.join();
            long[][] r = result.get();
            long[] cold = r[0];
            long[] warm = r[1];
            System.out.printf("net_null io forwarding (Java, lcore %d, 2 ports, 1 thread): %,d packets in %.1f ms"
                            + " = %.1f Mpps from cold; then %,d in %.1f ms = %.1f Mpps, %d bytes allocated%n",
                    r[2][0], cold[0], cold[1] / 1e6, cold[0] * 1e3 / cold[1], warm[0], warm[1] / 1e6,
                    warm[0] * 1e3 / warm[1], warm[2]);

            assertTrue(r[2][0] >= 0, "the worker had an lcore id");
            assertTrue(cold[0] >= PACKETS, "forwarded " + cold[0]);
            assertTrue(warm[0] >= MEASURED_PACKETS, "forwarded " + warm[0]);
            if (warm[2] >= 0) {
                // 1M packets are >= 31,250 bursts: even 16 bytes per burst would be 500 KB
                assertTrue(warm[2] < 64 * 1024, "the rx/tx loop allocates: " + warm[2] + " bytes");
            }
            Port.Stats s0 = p0.stats();
            Port.Stats s1 = p1.stats();
            assertTrue(s0.ipackets() > 0 && s1.ipackets() > 0, s0 + " " + s1);
            assertEquals(s0.ipackets() + s1.ipackets(), cold[0] + warm[0], "rx counters match what the loop forwarded");
            assertTrue(s0.opackets() + s1.opackets() > 0, "tx counters");
        }
        assertTrue(pool.inUse() <= inUseBefore, "mbufs leaked: in use " + pool.inUse() + ", before " + inUseBefore);
    }

    /** Forwards port0 -> port1 and port1 -> port0 until {@code packets}; returns {forwarded, nanos, allocated}. */
    private static long[] forward(Burst burst, int port0, int port1, long packets) {
        long allocatedBefore = allocatedBytes();
        long forwarded = 0;
        long start = System.nanoTime();
        long deadline = start + TIMEOUT_NANOS;
        while (forwarded < packets && System.nanoTime() < deadline) {
            int n = burst.rx(port0, 0);
            burst.txOrFree(port1, 0, n);
            int m = burst.rx(port1, 0);
            burst.txOrFree(port0, 0, m);
            forwarded += n + m;
        }
        long nanos = System.nanoTime() - start;
        long allocatedAfter = allocatedBytes();
        return new long[] {forwarded, nanos, allocatedBefore < 0 ? -1 : allocatedAfter - allocatedBefore};
    }

    /** Bytes this thread allocated so far, or -1 if the JVM cannot tell. */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled()) {
            return bean.getCurrentThreadAllocatedBytes();
        }
        return -1;
    }
}
