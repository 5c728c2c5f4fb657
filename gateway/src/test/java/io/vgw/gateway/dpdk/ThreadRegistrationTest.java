package io.vgw.gateway.dpdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** rte_thread_register gives a Java platform thread an lcore id (and with it the mempool caches). */
class ThreadRegistrationTest {

    @BeforeAll
    static void eal() {
        DpdkTestSupport.eal();
    }

    @Test
    void registeredWorkerGetsValidLcoreId() throws Exception {
        int[] ids = onNewThread(() -> {
            int before = Eal.lcoreId();
            int id = Eal.registerThread();
            int again = Eal.registerThread();
            int seen = Eal.lcoreId();
            Eal.unregisterThread();
            return new int[] {before, id, again, seen, Eal.lcoreId()};
        });
        assertEquals(-1, ids[0], "a new thread has no lcore id");
        assertTrue(ids[1] >= 0 && ids[1] < Eal.maxLcores(), "lcore id " + ids[1]);
        assertEquals(ids[1], ids[2], "registerThread is idempotent");
        assertEquals(ids[1], ids[3], "rte_lcore_id() after registering");
        assertEquals(-1, ids[4], "unregistered again");
    }

    @Test
    void concurrentWorkersGetDistinctLcoreIds() throws Exception {
        CountDownLatch bothRegistered = new CountDownLatch(2);
        CompletableFuture<Integer> a = CompletableFuture.supplyAsync(() -> registerAndWait(bothRegistered),
                r -> Thread.ofPlatform().start(r));
        CompletableFuture<Integer> b = CompletableFuture.supplyAsync(() -> registerAndWait(bothRegistered),
                r -> Thread.ofPlatform().start(r));
        assertNotEquals(a.get(), b.get());
    }

    @Test
    void virtualThreadsAreRefused() throws Exception {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                Eal.registerThread();
                failure.complete(null);
            } catch (Throwable t) {
                failure.complete(t);
            }
        }).join();
        assertTrue(failure.get() instanceof IllegalStateException, String.valueOf(failure.get()));
    }

    @Test
    void mainLcoreIsNotUnregistered() {
        int main = Eal.lcoreId();
        Eal.unregisterThread(); // not registered through registerThread: nothing happens
        assertEquals(main, Eal.lcoreId());
    }

    private static int registerAndWait(CountDownLatch latch) {
        int id = Eal.registerThread();
        latch.countDown();
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Eal.unregisterThread();
        }
        return id;
    }

    private static <T> T onNewThread(java.util.concurrent.Callable<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = Thread.ofPlatform().name("vgw-test-worker").start(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        thread.join();
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}
