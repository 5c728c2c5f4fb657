package io.vgw.gateway;

import io.vgw.api.Status;
import io.vgw.config.Config;
import io.vgw.config.Listen;
import io.vgw.config.load.SourceFile;
import io.vgw.gateway.announce.AnnounceMetrics;
import io.vgw.gateway.announce.Announcing;
import io.vgw.gateway.control.ControlServer;
import io.vgw.gateway.control.GatewayControl;
import io.vgw.gateway.dataplane.Worker;
import io.vgw.gateway.dpdk.DpdkException;
import io.vgw.gateway.dpdk.Port;
import io.vgw.gateway.metrics.GatewayMetrics;
import io.vgw.gateway.metrics.MetricsServer;
import io.vgw.gateway.metrics.MetricsSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The gateway daemon's start and stop order, which {@code vgw gateway} only calls:
 *
 * <ol>
 *   <li>the port, with its workers made but not running;</li>
 *   <li>the initial config, if any, built and published: state first, so the first packet already meets it;</li>
 *   <li>the workers;</li>
 *   <li>the announcer, when gateway.yaml has {@code announce:} (its TAP device, the watchdog): VIPs are announced
 *       once the gateway forwards;</li>
 *   <li>the control API, then the metrics: the daemon answers only once it forwards.</li>
 * </ol>
 * {@link #close} undoes it the other way round, an announcing gateway draining first (VIPs withdrawn, forwarding
 * until the router has moved the traffic): no new requests first, then the metrics, the announcer, the port. A
 * close that arrives during the start (a signal) waits for it, then stops what was started.
 */
public final class Daemon implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Daemon.class);
    /** A start that could not complete; the message says what to do. Whatever had started is stopped. */
    public static final class StartFailed extends Exception {
        public StartFailed(String message) {
            super(message);
        }
    }

    /** A validated config to apply before the workers start, with its source files and revision. */
    public record Initial(Config config, String revision, List<SourceFile> files) {}

    private final GatewaySettings settings;
    private Gateway gateway;
    private ControlServer control;
    private MetricsServer metrics;
    private Announcing announcing;
    private volatile boolean closed;
    private volatile boolean draining;
    private Runnable onDrained = () -> {};
    private String applied = "no config yet (vgw apply sends one)";

    public Daemon(GatewaySettings settings) {
        this.settings = settings;
    }

    /** Starts in the order above; on failure stops what was started and throws why. */
    public synchronized void start(Optional<Initial> initial) throws StartFailed {
        if (closed) throw new StartFailed("stopped before it started");
        try {
            gateway = Gateway.open(settings);
        } catch (RuntimeException e) {
            throw new StartFailed("cannot start the gateway on " + settings.device() + ": " + e.getMessage()
                    + (e instanceof DpdkException ? " (DPDK needs root; check eal and port.device)" : ""));
        }
        try {
            if (initial.isPresent()) {
                Initial i = initial.get();
                Gateway.Applied a = gateway.apply(i.config(), i.revision(), i.files());
                if (!a.applied()) {
                    throw new StartFailed(String.join("\n", a.problems().stream().map(p -> "refused: " + p).toList())
                            + "\nthe gateway refused its initial config; not starting");
                }
                applied = "generation " + a.generation() + " (revision " + i.revision() + ")";
                // a VIP is published once its servers' first health probes answered (bounded): ready means forwarding
                if (!gateway.awaitPublished()) applied += ", some services still held by health checks";
            }
            gateway.startWorkers();
            if (settings.announce().isPresent()) announcing = Announcing.start(settings.announce().get(), gateway);
            control = ControlServer.start(settings.controlSocket(), controlView(), settings.requestTimeout());
            if (settings.metricsListen().isPresent()) {
                var registry = GatewayMetrics.registry(metricsOf(gateway));
                if (announcing != null) AnnounceMetrics.register(registry, announcing);
                metrics = MetricsServer.start(Listen.parse(settings.metricsListen().get()), registry);
            }
        } catch (IOException | RuntimeException e) {
            stop();
            throw new StartFailed(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new StartFailed("interrupted while starting");
        } catch (StartFailed e) {
            stop();
            throw e;
        }
    }

    public Gateway gateway() {
        return gateway;
    }

    public Path controlSocket() {
        return control.socket();
    }

    /** Where the metrics are served, empty when off. */
    public Optional<InetSocketAddress> metricsAddress() {
        return Optional.ofNullable(metrics).map(MetricsServer::address);
    }

    /** What the start applied: "generation N (revision R)", or that there is no config yet. */
    public String applied() {
        return applied;
    }

    /** Called once a drain asked for through the control API has stopped the daemon (the process then ends). */
    public void onDrained(Runnable then) {
        onDrained = then;
    }

    /**
     * Stops serving and releases the port; safe to repeat (a second caller waits for the first). Returns whether
     * this call stopped a started gateway. An announcing gateway drains first: its VIPs are withdrawn and it
     * forwards until the router has moved the traffic, so no connection is lost.
     */
    public synchronized boolean stop() {
        if (closed) return false;
        if (announcing != null && control != null) {
            draining = true;
            LOG.info("draining: VIPs withdrawn, forwarding until the router has moved the traffic");
            Announcing.Drained d = announcing.drain();
            LOG.info("drained in {} ms ({}; {} VIP packets after the withdrawal)", d.millis(),
                    d.quiet() ? "no VIP traffic left" : "timed out with traffic still arriving", d.packetsAfterWithdrawal());
        }
        closed = true;
        if (control != null) control.close();
        if (metrics != null) metrics.close();
        if (announcing != null) announcing.close();
        if (gateway != null) gateway.close();
        return gateway != null;
    }

    /** What the control API sees: the gateway, plus the announcer's state and the drain, which stops this daemon. */
    private GatewayControl controlView() {
        return new GatewayControl() {
            @Override
            public Applied apply(Config config, String revision, List<SourceFile> files) {
                return gateway.apply(config, revision, files);
            }

            @Override
            public Status status() {
                return gateway.status();
            }

            @Override
            public Live live() {
                return gateway.live();
            }

            @Override
            public Optional<Announcing.Status> announcements() {
                return Optional.ofNullable(announcing).map(Announcing::status);
            }

            @Override
            public boolean drain() {
                if (announcing == null || draining || closed) return false;
                draining = true;
                Thread.ofPlatform().name("vgw-drain").start(() -> {
                    if (stop()) onDrained.run();
                });
                return true;
            }
        };
    }

    @Override
    public void close() {
        stop();
    }

    /** The metrics' view of a gateway: reads at scrape time only. */
    static MetricsSource metricsOf(Gateway gateway) {
        return new MetricsSource() {
            @Override
            public String port() {
                return gateway.link().port().name();
            }

            @Override
            public Port.Stats portStats() {
                return gateway.link().port().stats();
            }

            @Override
            public long[] counters() {
                return gateway.counters();
            }

            @Override
            public long connections() {
                return gateway.connections();
            }

            @Override
            public long connectionCapacity() {
                long capacity = 0;
                for (Worker w : gateway.workers()) capacity += w.pipeline().conns().capacity();
                return capacity;
            }

            @Override
            public List<String> serverLabels() {
                return gateway.serverLabels();
            }

            @Override
            public long[] serverCounters() {
                return gateway.serverCounters();
            }

            @Override
            public long generation() {
                return gateway.state().generation();
            }

            @Override
            public List<Status.Task> tasks() {
                return gateway.tasks();
            }

            @Override
            public java.util.Map<String, Boolean> serversUp() {
                return gateway.serversUp();
            }

            @Override
            public io.vgw.gateway.metrics.HealthMetrics health() {
                return gateway.healthMetrics();
            }
        };
    }
}
