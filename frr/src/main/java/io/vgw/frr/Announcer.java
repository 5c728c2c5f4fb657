package io.vgw.frr;

import io.vgw.config.Ipv4;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, per VIP, whether this node announces it, and makes the TAP device's addresses say so. A VIP is announced while
 * the gateway forwards (its workers make progress: the watchdog says so), the node is not draining, and the VIP is
 * healthy: with {@code announce: healthy} it has at least one healthy server; with {@code announce: running} the
 * caller calls every VIP healthy.
 *
 * <p>Withdrawal is immediate. After a withdrawal, a VIP is announced again only once its conditions have held for
 * the whole hold-down, so a flapping server or a stalling worker does not flap the router's ECMP set. A VIP whose
 * state did not change is never touched again. The VIPs themselves are addresses on a device the process holds
 * ({@link TapDevice}), so the process's death withdraws everything without this class.
 *
 * <p>Thread-safe: health verdicts, the watchdog and the timer call in from different threads.
 */
public final class Announcer {
    private static final Logger LOG = LoggerFactory.getLogger(Announcer.class);

    /** Where announcements go: VIP addresses on the TAP device in production ({@link VipAddresses}). */
    public interface Routes {
        void announce(int vip);

        void withdraw(int vip);
    }

    /** One VIP's state: announced or not, and why not. */
    public record VipState(String vip, boolean announced, boolean healthy, String reason) {}

    private static final class Vip {
        boolean healthy = true;
        boolean announced;
        boolean withdrawnBefore;
        long goodSince = Long.MIN_VALUE;
        String error;
    }

    private final Routes routes;
    private final Duration holdDown;
    private final LongSupplier nanos;
    private final Map<Integer, Vip> vips = new TreeMap<>(Integer::compareUnsigned);
    private boolean forwarding = true;
    private boolean draining;
    private long withdrawals;

    /** @param nanos the clock ({@link System#nanoTime} but in tests) */
    public Announcer(Routes routes, Duration holdDown, LongSupplier nanos) {
        this.routes = routes;
        this.holdDown = holdDown;
        this.nanos = nanos;
    }

    /**
     * The VIPs of the live config, each with its health (true: at least one healthy server) in one call, so a new
     * VIP with no healthy server is never announced for an instant; VIPs no longer listed are withdrawn.
     */
    public synchronized void vips(Map<Integer, Boolean> healthByVip) {
        for (var it = vips.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!healthByVip.containsKey(e.getKey())) {
                if (e.getValue().announced) withdraw(e.getKey(), e.getValue(), "removed from the config");
                it.remove();
            }
        }
        healthByVip.forEach((vip, healthy) -> vips.computeIfAbsent(vip, v -> new Vip()).healthy = healthy);
        reconcile();
    }

    /** A health verdict for a VIP: healthy = at least one of its servers is up. */
    public synchronized void healthy(int vip, boolean healthy) {
        Vip v = vips.get(vip);
        if (v == null || v.healthy == healthy) return;
        v.healthy = healthy;
        reconcile();
    }

    /** The watchdog's verdict: false withdraws everything at once. */
    public synchronized void forwarding(boolean progressing) {
        if (forwarding == progressing) return;
        forwarding = progressing;
        LOG.warn(progressing ? "gateway forwards again: VIPs come back after the hold-down" : "gateway stalled: withdrawing every VIP");
        reconcile();
    }

    /** Withdraws every VIP for good (drain, shutdown): nothing is announced again by this announcer. */
    public synchronized void drain() {
        draining = true;
        reconcile();
    }

    public synchronized boolean draining() {
        return draining;
    }

    /** Withdrawals so far (a metric). */
    public synchronized long withdrawals() {
        return withdrawals;
    }

    /** Re-evaluates every VIP: called on every change and by a timer, so hold-downs expire on time. */
    public synchronized void reconcile() {
        long now = nanos.getAsLong();
        for (var e : vips.entrySet()) {
            Vip v = e.getValue();
            if (why(v) != null) {
                v.goodSince = Long.MIN_VALUE;
                if (v.announced) withdraw(e.getKey(), v, why(v));
                continue;
            }
            if (v.goodSince == Long.MIN_VALUE) v.goodSince = now;
            if (v.announced) continue;
            if (v.withdrawnBefore && now - v.goodSince < holdDown.toNanos()) continue;
            try {
                routes.announce(e.getKey());
                v.announced = true;
                v.error = null;
                LOG.info("announcing {}", Ipv4.format(e.getKey()));
            } catch (RuntimeException ex) {
                v.error = ex.getMessage();
                LOG.error("cannot announce {} (retrying): {}", Ipv4.format(e.getKey()), ex.getMessage());
            }
        }
    }

    private void withdraw(int vip, Vip v, String why) {
        try {
            routes.withdraw(vip);
            v.error = null;
        } catch (RuntimeException ex) {
            // The address may be gone already; if it is not, the next reconcile does not retry (announced is false),
            // so say so loudly: closing the TAP device is the backstop that always works.
            v.error = ex.getMessage();
            LOG.error("cannot withdraw {}: {}", Ipv4.format(vip), ex.getMessage());
        }
        v.announced = false;
        v.withdrawnBefore = true;
        withdrawals++;
        LOG.info("withdrew {}: {}", Ipv4.format(vip), why);
    }

    /** Why a VIP must not be announced now, or null. */
    private String why(Vip v) {
        if (draining) return "draining";
        if (!forwarding) return "gateway not forwarding (watchdog)";
        if (!v.healthy) return "no healthy server";
        return null;
    }

    public synchronized List<VipState> status() {
        long now = nanos.getAsLong();
        List<VipState> all = new ArrayList<>();
        for (var e : vips.entrySet()) {
            Vip v = e.getValue();
            String reason = why(v);
            if (reason == null && !v.announced) {
                long left = v.goodSince == Long.MIN_VALUE ? holdDown.toNanos() : holdDown.toNanos() - (now - v.goodSince);
                reason = v.error != null ? "error: " + v.error
                        : "hold-down, " + Math.max(0, (left + 999_999) / 1_000_000) + " ms left";
            }
            if (reason == null) reason = v.error == null ? "announced" : "announced (last error: " + v.error + ")";
            all.add(new VipState(Ipv4.format(e.getKey()), v.announced, v.healthy, reason));
        }
        return all;
    }

    public Duration holdDown() {
        return holdDown;
    }
}
