package io.vgw.health;

import java.util.Collection;

/**
 * How many probes one of the checker's windows may start: {@link #CATCH_UP} times the window's share of the
 * targets' probes, plus {@link #MIN_STARTS}; what is due beyond waits for the next window. A checker that fell behind
 * (a stall, a cold JIT at start) so catches up at twice its rate, in deadline order, instead of starting everything
 * overdue at once.
 * Why it matters: a window of thousands of connects made the next windows as long, answers then waited beyond the
 * kernel's delayed-ACK timers (40 ms for the response, 200 ms for the handshake's held ACK), every probe cost extra
 * packets on both sides, and at 10,000-14,000 new http connections a second the checker stayed behind: probes timed
 * out by the thousand (false downs) at 85-95 % of a core.
 */
final class StartBudget {
    static final int CATCH_UP = 2;
    static final int MIN_STARTS = 32;

    private final long windowNanos;
    private int perWindow = MIN_STARTS;
    private long window = Long.MIN_VALUE;
    private int left;

    StartBudget(long windowNanos) {
        this.windowNanos = windowNanos;
    }

    /** Sizes the budget for these targets' intervals. */
    void size(Collection<Tracked> targets) {
        double share = 0;
        for (Tracked t : targets) share += (double) windowNanos / t.intervalNanos;
        perWindow = MIN_STARTS + (int) Math.ceil(CATCH_UP * share);
    }

    int perWindow() {
        return perWindow;
    }

    /** Takes one start in the window of {@code nowNanos}; false when that window has started its share. */
    boolean take(long nowNanos) {
        long w = Math.floorDiv(nowNanos, windowNanos);
        if (w != window) {
            window = w;
            left = perWindow;
        }
        if (left == 0) return false;
        left--;
        return true;
    }

    /** The start of the window after {@code nowNanos}'s: where a start that did not fit goes. */
    long nextWindow(long nowNanos) {
        return (Math.floorDiv(nowNanos, windowNanos) + 1) * windowNanos;
    }
}
