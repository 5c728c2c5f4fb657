package io.vgw.gateway;

import io.vgw.api.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's periodic background work (next-hop refresh, ...) on one thread. A scheduled executor cancels a
 * task for good the first time it throws; here whatever a run throws, an {@link Error} included, is logged and
 * counted (status and metrics show it), and the task runs again at its next time.
 */
public final class BackgroundTasks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundTasks.class);

    private static final class Task {
        final String name;
        final AtomicLong runs = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        volatile String lastError;

        Task(String name) {
            this.name = name;
        }
    }

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vgw-tasks");
        t.setDaemon(true);
        return t;
    });
    private final List<Task> tasks = new CopyOnWriteArrayList<>();

    /** Runs {@code work} every {@code period} (after the previous run ends), first after one period. */
    public void every(String name, Duration period, Runnable work) {
        Task task = new Task(name);
        tasks.add(task);
        executor.scheduleWithFixedDelay(() -> run(task, period, work), period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static void run(Task task, Duration period, Runnable work) {
        task.runs.incrementAndGet();
        try {
            work.run();
        } catch (Throwable t) { // an Error too: the task must not die silently
            task.failures.incrementAndGet();
            task.lastError = t.toString();
            try {
                LOG.error("background task {} failed (it runs again in {} ms)", task.name, period.toMillis(), t);
            } catch (Throwable logging) {
                // out of memory even for the log line: the count and lastError still show it
            }
        }
    }

    /** Each task's runs, failures and last error, in the order they were added. */
    public List<Status.Task> status() {
        List<Status.Task> all = new ArrayList<>();
        for (Task t : tasks) all.add(new Status.Task(t.name, t.runs.get(), t.failures.get(), t.lastError));
        return all;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
