package io.vgw.gateway.announce;

import io.vgw.frr.Announcer;
import io.vgw.frr.FrrState;
import io.vgw.frr.TapDevice;
import io.vgw.frr.VipAddresses;
import io.vgw.frr.Vtysh;
import io.vgw.gateway.Gateway;
import io.vgw.gateway.GatewaySettings;
import io.vgw.gateway.dataplane.Counter;
import io.vgw.gateway.dataplane.Worker;
import io.vgw.gateway.os.SdNotify;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's side of the announcements: holds the TAP device (its death is the withdrawal of last resort), feeds
 * the {@link Announcer} from the gateway's config and health ({@link Gateway#announceTo}), runs the watchdog on
 * the workers' heartbeats (a stuck worker withdraws every VIP; systemd's watchdog is fed only while all turn), and
 * drains: withdraw, forward until the router has moved the traffic, then let the daemon stop.
 */
public final class Announcing implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Announcing.class);
    private static final long TICK_MILLIS = 100;

    /** What {@code GET /v1/announce} and {@code vgw status} show. */
    public record Status(String device, boolean forwarding, boolean draining, long withdrawals, long watchdogStalls,
                         String holdDown, List<Announcer.VipState> vips, FrrState frr, String lastError) {}

    /** How a drain ended. */
    public record Drained(long millis, boolean quiet, long packetsAfterWithdrawal) {}

    private final GatewaySettings.Announce settings;
    private final Gateway gateway;
    private final TapDevice tap;
    private final Announcer announcer;
    private final Vtysh vtysh;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vgw-announce");
        t.setDaemon(true);
        return t;
    });
    private final long[] beats;
    /**
     * Watchdog ticks in a row that saw a worker's heartbeat stand still. Counted in ticks, not wall time: when the
     * whole JVM stops (a GC pause, a starved VM) this thread stops too, so a pause is never taken for a stuck worker.
     */
    private final int[] still;
    private final int stallTicks;
    private volatile long stalls;
    private volatile boolean forwarding = true;
    private volatile String lastError;
    private long lastNotify;

    private Announcing(GatewaySettings.Announce settings, Gateway gateway) {
        this.settings = settings;
        this.gateway = gateway;
        this.tap = TapDevice.open(settings.device());
        VipAddresses routes;
        try {
            routes = new VipAddresses(tap);
        } catch (RuntimeException e) {
            tap.close();
            throw e;
        }
        this.announcer = new Announcer(routes, settings.holdDown(), System::nanoTime);
        this.vtysh = settings.vtySocket().map(Vtysh::at).orElse(Vtysh.system());
        int n = gateway.workers().size();
        beats = new long[n];
        still = new int[n];
        stallTicks = (int) Math.max(2, settings.watchdog().toMillis() / TICK_MILLIS);
        for (int i = 0; i < n; i++) beats[i] = gateway.workers().get(i).heartbeat();
    }

    /** Opens the TAP device, starts the watchdog and hands the announcer to the gateway. */
    public static Announcing start(GatewaySettings.Announce settings, Gateway gateway) {
        Announcing a = new Announcing(settings, gateway);
        gateway.announceTo(a.announcer);
        a.timer.scheduleWithFixedDelay(a::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        return a;
    }

    /** Every tick: the watchdog, systemd's watchdog, hold-down expiry. Never lets an exception end the timer. */
    private void tick() {
        try {
            long now = System.nanoTime();
            List<Worker> workers = gateway.workers();
            boolean all = true;
            for (int i = 0; i < beats.length; i++) {
                long beat = workers.get(i).heartbeat();
                if (beat != beats[i]) {
                    beats[i] = beat;
                    still[i] = 0;
                } else if (++still[i] >= stallTicks) {
                    all = false;
                }
            }
            if (!all && forwarding) {
                stalls++;
                LOG.error("a worker's loop has stood still for over {}: withdrawing every VIP", settings.watchdog());
            }
            forwarding = all;
            announcer.forwarding(all);
            announcer.reconcile();
            if (all && SdNotify.enabled() && now - lastNotify > 500_000_000L) {
                SdNotify.send("WATCHDOG=1");
                lastNotify = now;
            }
        } catch (Throwable t) {
            lastError = t.toString();
            LOG.error("announcer tick failed (the next one retries)", t);
        }
    }

    /**
     * Withdraws every VIP, then waits until the router has moved the traffic away: no VIP packet for
     * {@code drain_quiet}, or {@code drain_timeout}. The gateway forwards all along, so no connection is lost.
     */
    public Drained drain() {
        long start = System.nanoTime();
        announcer.drain();
        long first = vipPackets();
        long last = first;
        long lastMove = start;
        long quiet = settings.drainQuiet().toNanos();
        long deadline = start + settings.drainTimeout().toNanos();
        while (true) {
            long now = System.nanoTime();
            long packets = vipPackets();
            if (packets != last) {
                last = packets;
                lastMove = now;
            }
            if (now - lastMove >= quiet) return new Drained((now - start) / 1_000_000, true, last - first);
            if (now > deadline) {
                LOG.warn("drain: VIP packets still arrive after {}; stopping anyway", settings.drainTimeout());
                return new Drained((now - start) / 1_000_000, false, last - first);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Drained((now - start) / 1_000_000, false, last - first);
            }
        }
    }

    /** Packets that came for a VIP (forwarded, answered or dropped for a VIP reason): all but what went to the kernel. */
    private long vipPackets() {
        long[] c = gateway.counters();
        return c[Counter.RX.ordinal()] - c[Counter.PASS.ordinal()];
    }

    public Announcer announcer() {
        return announcer;
    }

    public long stalls() {
        return stalls;
    }

    /** This node's OSPF neighbours and BFD sessions (two vtysh calls): for metrics, not on any hot path. */
    public FrrState frr() {
        return FrrState.read(vtysh, null);
    }

    /** Status, with FRR's view including whether ospfd runs on the TAP device (which metrics do not ask). */
    public Status status() {
        return new Status(tap.name(), forwarding, announcer.draining(), announcer.withdrawals(), stalls,
                io.vgw.config.Durations.format(settings.holdDown()), announcer.status(), FrrState.read(vtysh, tap.name()),
                lastError);
    }

    /** Stops the timer and closes the TAP device: the kernel removes every VIP address at once. */
    @Override
    public void close() {
        timer.shutdownNow();
        tap.close();
    }

}
