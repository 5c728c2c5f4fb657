package io.vgw.gateway.dataplane;

import java.time.Duration;

/**
 * The data plane's clock: a tick is 2^27 ns (about 134 ms), read once per burst from {@link System#nanoTime()}.
 * Idle timeouts are whole seconds or more, so this is fine-grained enough, and an int of ticks lasts nine years.
 */
public final class Ticks {
    public static final long NANOS = 1L << 27;

    private Ticks() {}

    public static int now() {
        return (int) (System.nanoTime() >> 27);
    }

    /** A duration in ticks, rounded up so an entry never expires early. */
    public static int of(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE / 2, (d.toNanos() + NANOS - 1) / NANOS);
    }
}
