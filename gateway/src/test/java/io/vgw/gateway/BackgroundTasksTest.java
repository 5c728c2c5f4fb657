package io.vgw.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.api.Status;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A background task survives whatever it throws, Errors included, and its failures show in status. */
class BackgroundTasksTest {
    @Test
    void aPlainScheduledExecutorCancelsATaskForGoodOnItsFirstError() throws Exception {
        // what the next-hop refresher ran on before: one StackOverflowError ended route refreshes, silently
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger runs = new AtomicInteger();
            ScheduledFuture<?> f = executor.scheduleWithFixedDelay(() -> {
                runs.incrementAndGet();
                throw new StackOverflowError();
            }, 0, 5, TimeUnit.MILLISECONDS);
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof StackOverflowError);
            assertTrue(f.isDone(), "never runs again");
            assertEquals(1, runs.get());
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void errorsAreCountedAndTheTaskKeepsRunning() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(1);
        try (BackgroundTasks tasks = new BackgroundTasks()) {
            tasks.every("next-hops", Duration.ofMillis(5), () -> {
                int n = runs.incrementAndGet();
                if (n == 1) throw new OutOfMemoryError("Java heap space");
                if (n == 2) throw new IllegalStateException("ip route failed");
                third.countDown();
            });
            assertTrue(third.await(10, TimeUnit.SECONDS), "the task ran again after two failures");
            Status.Task status = tasks.status().getFirst();
            assertEquals("next-hops", status.name());
            assertEquals(2, status.failures());
            assertTrue(status.runs() >= 3, status.toString());
            assertEquals("java.lang.IllegalStateException: ip route failed", status.lastError());
        }
    }

    @Test
    void aTaskThatNeverFailedHasNoError() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        try (BackgroundTasks tasks = new BackgroundTasks()) {
            tasks.every("quiet", Duration.ofMillis(5), ran::countDown);
            assertTrue(ran.await(10, TimeUnit.SECONDS));
            Status.Task status = tasks.status().getFirst();
            assertEquals(0, status.failures());
            assertNull(status.lastError());
        }
    }
}
