package io.vgw.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker's timing wheel on a made-up clock: timers fire in order, never early, at most one tick late. */
class WheelTest {
    static final long MS = 1_000_000;
    static final long T0 = 5_000 * MS + 123_456; // not on a tick boundary

    final Wheel wheel = new Wheel(T0);
    final List<Tracked> fired = new ArrayList<>();

    static Tracked target(int port) {
        return new Tracked(new Target(0x7f000001, port, Check.tcp(Duration.ofSeconds(1), Duration.ofMillis(500), 2, 3)), 0, null);
    }

    @Test
    void firesInOrderNeverBeforeItsDeadline() {
        Tracked a = target(1), b = target(2), c = target(3);
        wheel.set(a, T0 + 5 * MS + 200_000);
        wheel.set(b, T0 + MS);
        wheel.set(c, T0 + 3 * MS + 700_000);
        wheel.advance(T0 + 4 * MS + 900_000, fired::add);
        assertEquals(List.of(b, c), fired);
        wheel.advance(T0 + 5 * MS + 100_000, fired::add);
        assertEquals(List.of(b, c), fired, "a is due 0.1 ms later");
        wheel.advance(T0 + 6 * MS + 100_000, fired::add);
        assertEquals(List.of(b, c, a), fired, "a fires at the next tick after its deadline");
    }

    @Test
    void aDeadlineBeyondOneRevolutionWaitsForItsRound() {
        Tracked far = target(1);
        wheel.set(far, T0 + 3_000 * MS);
        for (long t = T0; t < T0 + 2_999 * MS; t += 7 * MS) wheel.advance(t, fired::add);
        assertEquals(List.of(), fired, "three revolutions pass its bucket before it is due");
        wheel.advance(T0 + 3_001 * MS, fired::add);
        assertEquals(List.of(far), fired);
    }

    @Test
    void removedAndMovedTimers() {
        Tracked gone = target(1), moved = target(2);
        wheel.set(gone, T0 + 2 * MS);
        wheel.set(moved, T0 + 2 * MS);
        wheel.remove(gone);
        wheel.set(moved, T0 + 10 * MS);
        wheel.advance(T0 + 9 * MS, fired::add);
        assertEquals(List.of(), fired);
        wheel.advance(T0 + 11 * MS, fired::add);
        assertEquals(List.of(moved), fired, "fired once, at its new deadline");
        wheel.advance(T0 + 2_000 * MS, fired::add);
        assertEquals(List.of(moved), fired);
    }

    @Test
    void aStallLongerThanARevolutionFiresEverythingDueOnce() {
        List<Tracked> all = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            Tracked t = target(1 + i);
            all.add(t);
            wheel.set(t, T0 + i * MS);
        }
        wheel.advance(T0 + 5_000 * MS, fired::add);
        assertEquals(3_000, fired.size());
        assertEquals(all.size(), fired.stream().distinct().count());
    }

    @Test
    void aTimerSetAgainWhileFiringGoesToALaterTick() {
        Tracked t = target(1);
        wheel.set(t, T0 + MS);
        wheel.advance(T0 + MS + 900_000, x -> { // runs the tick after the deadline, and no later one
            fired.add(x);
            wheel.set(x, T0); // already due: the next tick, not this one again
            return true;
        });
        assertEquals(List.of(t), fired);
        wheel.advance(T0 + 3 * MS, fired::add);
        assertEquals(List.of(t, t), fired);
    }

    @Test
    void nextTickIsTheEarliestNonEmptyBucket() {
        assertEquals(Long.MAX_VALUE, wheel.nextTickNanos());
        wheel.set(target(1), T0 + 40 * MS + 1);
        wheel.set(target(2), T0 + 7 * MS + 1);
        long next = wheel.nextTickNanos();
        assertEquals(true, next >= T0 + 7 * MS + 1 && next < T0 + 8 * MS + 1, "next tick " + (next - T0) + " ns after T0");
    }

    @Test
    void aTimerThatCannotFireStaysFirstAndTheRestWait() {
        Tracked a = target(1), b = target(2), c = target(3);
        wheel.set(c, T0 + 3 * MS);
        wheel.set(b, T0 + 2 * MS);
        wheel.set(a, T0 + 2 * MS + 500_000); // same tick as b, set last: first of the bucket
        boolean all = wheel.advance(T0 + 4 * MS, x -> x != b && fired.add(x));
        assertEquals(false, all);
        assertEquals(List.of(a), fired, "b could not fire: c, a later tick, waits too");
        assertEquals(true, wheel.advance(T0 + 4 * MS, fired::add));
        assertEquals(List.of(a, b, c), fired, "the next call goes on where the last stopped, in deadline order");
    }
}
