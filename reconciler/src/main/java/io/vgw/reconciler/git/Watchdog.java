package io.vgw.reconciler.git;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jgit.lib.ProgressMonitor;

/**
 * Watches a fetch through JGit's progress callbacks and stops it when nothing has happened for the timeout: a slow
 * but moving transfer goes on, a remote that went silent does not hold the reconciler.
 */
final class Watchdog implements ProgressMonitor {
    private final long stallNanos;
    private volatile long lastActivity = System.nanoTime();
    private volatile boolean cancelled;

    Watchdog(Duration timeout) {
        this.stallNanos = timeout.toNanos();
    }

    /**
     * Waits for {@code task} running on {@code worker}; when it stalls, cancels it, interrupts the worker, waits a
     * moment for it to give up and throws {@link TimeoutException}.
     */
    void await(FutureTask<?> task, Thread worker) throws ExecutionException, TimeoutException, InterruptedException {
        while (true) {
            long idle = System.nanoTime() - lastActivity;
            try {
                task.get(Math.max(1, stallNanos - idle), TimeUnit.NANOSECONDS);
                return;
            } catch (TimeoutException e) {
                if (System.nanoTime() - lastActivity < stallNanos) continue;
                cancelled = true;
                worker.interrupt();
                worker.join(Duration.ofNanos(stallNanos));
                throw e;
            }
        }
    }

    private void active() {
        lastActivity = System.nanoTime();
    }

    @Override
    public void start(int totalTasks) {
        active();
    }

    @Override
    public void beginTask(String title, int totalWork) {
        active();
    }

    @Override
    public void update(int completed) {
        active();
    }

    @Override
    public void endTask() {
        active();
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public void showDuration(boolean enabled) {
        // durations are not shown: nothing prints this monitor
    }
}
