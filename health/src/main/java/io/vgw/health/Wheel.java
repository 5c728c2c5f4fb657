package io.vgw.health;

import java.util.function.Predicate;

/**
 * The targets' timers on the checker's thread: a hashed timing wheel of 1 ms buckets, one timer per target (its next
 * probe, or the timeout of the probe in flight), linked through the target itself. Adding, moving and removing a
 * timer is O(1) and allocates nothing; Netty's scheduler would cost a heap entry, a task object and O(log n) per
 * probe twice over (start and timeout) at 10,000 targets. A timer fires at its bucket's tick, at most 1 ms after its
 * deadline.
 */
final class Wheel {
    static final long TICK_NANOS = 1_000_000;
    private static final int BUCKETS = 1024; // one revolution: 1.024 s; later deadlines wait for their round
    private static final int MASK = BUCKETS - 1;

    private final Tracked[] buckets = new Tracked[BUCKETS];
    /** the first tick not yet run: every timer due before it has fired */
    private long tick;

    Wheel(long nowNanos) {
        tick = Math.floorDiv(nowNanos, TICK_NANOS);
    }

    /** Sets (or moves) the target's timer to {@code deadlineNanos} (nanoTime); already due: the next tick. */
    void set(Tracked t, long deadlineNanos) {
        if (t.wheelTick != Long.MIN_VALUE) remove(t);
        long k = Math.max(-Math.floorDiv(-deadlineNanos, TICK_NANOS), tick); // ceil: never before the deadline
        int i = (int) (k & MASK);
        t.deadlineNanos = deadlineNanos;
        t.wheelTick = k;
        t.wheelPrev = null;
        t.wheelNext = buckets[i];
        if (buckets[i] != null) buckets[i].wheelPrev = t;
        buckets[i] = t;
    }

    void remove(Tracked t) {
        if (t.wheelTick == Long.MIN_VALUE) return;
        if (t.wheelPrev != null) t.wheelPrev.wheelNext = t.wheelNext;
        else buckets[(int) (t.wheelTick & MASK)] = t.wheelNext;
        if (t.wheelNext != null) t.wheelNext.wheelPrev = t.wheelPrev;
        t.wheelPrev = t.wheelNext = null;
        t.wheelTick = Long.MIN_VALUE;
    }

    /**
     * Fires every timer due by {@code nowNanos}, in tick order. {@code fire} may set the fired target's timer again
     * (it lands in a later tick) but must not touch other targets' timers; it returns false for a timer that cannot
     * fire now: that timer stays where it was, first of its tick, and so do the ones after it, for the next call.
     * Returns whether every due timer fired.
     */
    boolean advance(long nowNanos, Predicate<Tracked> fire) {
        long last = Math.floorDiv(nowNanos, TICK_NANOS);
        if (last - tick >= BUCKETS) tick = last - BUCKETS + 1; // a stall longer than a revolution: each bucket once
        while (tick <= last) {
            int i = (int) (tick & MASK);
            tick++; // timers set while this bucket runs go to later ticks
            for (Tracked t = buckets[i], next; t != null; t = next) {
                next = t.wheelNext;
                if (t.deadlineNanos <= nowNanos) {
                    remove(t);
                    if (!fire.test(t)) {
                        tick--; // this bucket again next time, t first
                        set(t, t.deadlineNanos);
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** When the next non-empty bucket is due (nanoTime), or Long.MAX_VALUE when no timer is set. */
    long nextTickNanos() {
        for (long k = tick; k < tick + BUCKETS; k++) {
            if (buckets[(int) (k & MASK)] != null) return k * TICK_NANOS;
        }
        return Long.MAX_VALUE;
    }
}
