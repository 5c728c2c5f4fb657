package io.vgw.health;

import io.vgw.config.Ipv4;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A target and its verdict, owned by the checker's thread; {@link #health} is published for other threads. */
final class Tracked {
    final Target target;
    final InetSocketAddress remote;
    final long intervalNanos;
    final long timeoutNanos;
    /** http: the request bytes; null for tcp */
    final byte[] request;
    /** the reason of a successful probe ("connected", "HTTP 200"), made once */
    final String okReason;
    /** the target's probes, one connection at a time (a probe ends before the next one starts) */
    final Probe probe;

    volatile Health health;
    /** epoch nanoseconds of the slot the next probe belongs to (slot + phase; jitter is added on top) */
    long slotEpochNanos;
    /** nanoTime the next probe is planned for (slot + jitter), to measure lateness */
    long plannedNanos;
    boolean removed;

    // the target's one timer in the checker's {@link Wheel}: its next probe, or the timeout of the probe in flight
    long deadlineNanos;
    long wheelTick = Long.MIN_VALUE;
    Tracked wheelPrev;
    Tracked wheelNext;

    Tracked(Target target, long nowMillis, HealthChecker checker) {
        this.target = target;
        try {
            byte[] a = {(byte) (target.address() >>> 24), (byte) (target.address() >>> 16),
                    (byte) (target.address() >>> 8), (byte) target.address()};
            this.remote = new InetSocketAddress(InetAddress.getByAddress(a), target.port());
        } catch (UnknownHostException e) {
            throw new AssertionError("4 bytes are an IPv4 address", e);
        }
        this.intervalNanos = target.check().interval().toNanos();
        this.timeoutNanos = target.check().timeout().toNanos();
        this.request = target.check().kind() == Check.Kind.HTTP ? target.check().request(Ipv4.format(target.address())) : null;
        this.okReason = request == null ? "connected" : "HTTP " + target.check().expect();
        this.probe = new Probe(checker, this);
        this.health = new Health(State.UNKNOWN, nowMillis, null, 0);
    }

    /**
     * Applies a result: one result decides an unknown target; afterwards {@code rise} consecutive successes bring a
     * down target up and {@code fall} consecutive failures take an up one down. Returns the state before, or null
     * when the state did not change.
     */
    State record(Result result, long nowMillis) {
        Health h = health;
        boolean sameWay = h.last() != null && h.last().ok() == result.ok();
        int streak = sameWay ? h.streak() + 1 : 1;
        State next = switch (h.state()) {
            case UNKNOWN -> result.ok() ? State.UP : State.DOWN;
            case UP -> !result.ok() && streak >= target.check().fall() ? State.DOWN : State.UP;
            case DOWN -> result.ok() && streak >= target.check().rise() ? State.UP : State.DOWN;
        };
        health = new Health(next, next == h.state() ? h.sinceMillis() : nowMillis, result, streak);
        return next == h.state() ? null : h.state();
    }
}
