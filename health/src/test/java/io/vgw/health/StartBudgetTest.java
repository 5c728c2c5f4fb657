package io.vgw.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The starts a window may make, on a made-up clock: twice its share of the probes plus a floor, then the next window. */
class StartBudgetTest {
    static final long MS = 1_000_000;
    static final long WINDOW = 8 * MS;

    static List<Tracked> targets(int n, Duration interval) {
        List<Tracked> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(new Tracked(new Target(0x7f000001, 1 + i, Check.tcp(interval, interval.dividedBy(2), 2, 3)), 0, null));
        }
        return all;
    }

    @Test
    void tenThousandTargetsEverySecond() {
        StartBudget b = new StartBudget(WINDOW);
        b.size(targets(10_000, Duration.ofSeconds(1)));
        assertEquals(StartBudget.MIN_STARTS + 160, b.perWindow(), "80 probes per 8 ms window, twice that, plus the floor");
        long t = 1_000 * WINDOW + 3 * MS; // inside a window
        for (int i = 0; i < b.perWindow(); i++) assertTrue(b.take(t + i), "start " + i);
        assertFalse(b.take(t + 4 * MS), "the window started its share: a thousand overdue probes do not leave at once");
        assertEquals(1_001 * WINDOW, b.nextWindow(t));
        assertTrue(b.take(1_001 * WINDOW), "the next window starts afresh");
    }

    @Test
    void fewTargetsKeepTheFloor() {
        StartBudget b = new StartBudget(WINDOW);
        b.size(targets(3, Duration.ofMillis(100)));
        assertEquals(StartBudget.MIN_STARTS + 1, b.perWindow());
        b.size(List.of());
        assertEquals(StartBudget.MIN_STARTS, b.perWindow());
    }
}
