package io.vgw.reconciler.git;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jgit.lib.ProgressMonitor;

/**
 * Watches a fetch through JGit's progress callbacks and stops it when nothing has happened for the timeout (a slow
 * but moving transfer goes on, a remote that went silent does not hold the reconciler), or when what it receives
 * goes over its {@link FetchBound}, checked on every object and every {@link #TICK}.
 */
final class Watchdog implements ProgressMonitor {
    static final Duration TICK = Duration.ofMillis(20);

    /** The fetch was stopped: it went over its bound. */
    static final class TooLarge extends Exception {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    private final long stallNanos;
    private final FetchBound bound;
    private volatile long lastActivity = System.nanoTime();
    private long lastSizeCheck;
    private volatile boolean cancelled;

    Watchdog(Duration timeout, FetchBound bound) {
        this.stallNanos = timeout.toNanos();
        this.bound = bound;
    }

    /**
     * Waits for {@code task} running on {@code worker}; when it stalls or goes over its bound, cancels it, interrupts
     * the worker, waits a moment for it to give up (JGit then deletes the unfinished pack) and throws
     * {@link TimeoutException} or {@link TooLarge}.
     */
    void await(FutureTask<?> task, Thread worker)
            throws ExecutionException, TimeoutException, TooLarge, InterruptedException {
        while (true) {
            long idle = System.nanoTime() - lastActivity;
            try {
                task.get(Math.max(1, Math.min(TICK.toNanos(), stallNanos - idle)), TimeUnit.NANOSECONDS);
                return;
            } catch (ExecutionException e) {
                if (bound.exceeded() != null) throw new TooLarge();
                throw e;
            } catch (TimeoutException e) {
                boolean tooLarge = bound.packTooLarge();
                if (!tooLarge && System.nanoTime() - lastActivity < stallNanos) continue;
                cancelled = true;
                worker.interrupt();
                worker.join(Duration.ofNanos(stallNanos));
                if (tooLarge) throw new TooLarge();
                throw e;
            }
        }
    }

    private void active() {
        long now = System.nanoTime();
        lastActivity = now;
        // At most every tick (a first fetch has thousands of objects); JGit's parser checks cancelled after each.
        if (now - lastSizeCheck >= TICK.toNanos()) {
            lastSizeCheck = now;
            if (bound.packTooLarge()) cancelled = true;
        }
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
