package io.vgw.cli;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.config.load.SourceFile;
import io.vgw.gateway.Gateway;
import io.vgw.gateway.GatewaySettings;
import io.vgw.gateway.control.ControlApi;
import io.vgw.gateway.control.ControlServer;
import io.vgw.gateway.dpdk.DpdkException;
import io.vgw.gateway.metrics.GatewayMetrics;
import io.vgw.gateway.metrics.MetricsServer;
import io.vgw.gateway.metrics.MetricsSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Run the gateway daemon: the DPDK port and a worker per queue, the control API on a unix "
                + "socket (vgw status, vgw apply, curl --unix-socket), Prometheus metrics. Stops cleanly on SIGTERM "
                + "or SIGINT (control API first, then the port).",
        footer = {"", "FILE is described by schemas/gateway.schema.json: node name and address, DPDK port, "
                + "control.socket (default /run/vgw/<gateway>.sock), metrics.listen, and optionally `config`, a "
                + "directory applied before the daemon reports ready. An invalid one stops the start (exit 1): a "
                + "daemon never runs half-configured. Without it the gateway forwards nothing until vgw apply.",
                "Needs root (DPDK). Prints one line when ready.",
                "Exit codes: 1 invalid settings or config, or the port, socket or metrics could not be set up; "
                        + "on SIGTERM/SIGINT the JVM exits with the signal's status (143/130) after a clean stop.", "",
                "Examples:",
                "  vgw gateway --config /etc/vgw/gateway.yaml",
                "  sudo vgw gateway -c lab/lb1.yaml & vgw apply --socket /run/vgw/lb1.sock examples/"})
final class GatewayCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The daemon's settings (gateway.yaml).")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Counted down once the daemon serves; {@link #running} then says what it serves on (for tests). */
    final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** What a started daemon holds, closed in this order: no new requests first, then the metrics, then the port. */
    record Running(Gateway gateway, ControlServer control, MetricsServer metrics) {
        InetSocketAddress metricsAddress() {
            return metrics == null ? null : metrics.address();
        }
    }

    volatile Running running;
    private Gateway gateway;
    private ControlServer control;
    private MetricsServer metrics;
    private boolean closed;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        GatewaySettings settings;
        try {
            settings = GatewaySettings.read(config);
        } catch (GatewaySettings.Invalid e) {
            for (Problem p : e.problems) err.println(p);
            err.printf("%s: %d problem%s; see schemas/gateway.schema.json%n", config, e.problems.size(), e.problems.size() == 1 ? "" : "s");
            err.flush();
            return 1;
        }
        List<SourceFile> files = null;
        ConfigLoader.Result initial = null;
        if (settings.config().isPresent()) {
            Path dir = settings.config().get();
            files = ConfigLoader.readDirectory(dir);
            initial = ConfigLoader.load(dir.toString(), files);
            if (!initial.ok()) {
                for (Problem p : initial.problems()) err.println(p);
                err.printf("%s: %d problem%s in the config named by %s; the gateway does not start with an invalid "
                                + "config (fix it, or remove `config` to start with none)%n", dir, initial.problems().size(),
                        initial.problems().size() == 1 ? "" : "s", config);
                err.flush();
                return 1;
            }
        }

        try {
            ControlServer.prepare(settings.controlSocket().toAbsolutePath()); // before DPDK: fail early when taken
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 1;
        }

        Thread hook = new Thread(this::shutdown, "vgw-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            String applied = start(settings, files, initial, err);
            if (applied == null) return 1;
            Running r = running;
            out.printf("gateway %s ready: port %s mac %s, control %s, metrics %s, %s%n", settings.node(),
                    r.gateway().port().name(), r.gateway().port().macAddressString(), r.control().socket(),
                    r.metrics() == null ? "off" : address(r.metricsAddress()), applied);
            out.flush();
            ready.countDown();
            stopped.await();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            shutdown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running or has run
            }
        }
    }

    /** Starts everything; returns what was applied, or null (after saying why) when the start failed. */
    private String start(GatewaySettings settings, List<SourceFile> files, ConfigLoader.Result initial, PrintWriter err) {
        String applied = "no config yet (vgw apply sends one)";
        synchronized (this) {
            if (closed) return null;
            try {
                gateway = Gateway.start(settings);
            } catch (RuntimeException e) {
                err.println("error: cannot start the gateway on " + settings.device() + ": " + e.getMessage()
                        + (e instanceof DpdkException ? " (DPDK needs root; check eal and port.device in " + config + ")" : ""));
                err.flush();
                return null;
            }
            if (initial != null) {
                String revision = ControlApi.contentRevision(files);
                Gateway.Applied a = gateway.apply(initial.config(), revision);
                if (!a.applied()) {
                    for (String p : a.problems()) err.println("refused: " + p);
                    err.printf("the gateway refused the config in %s; not starting%n", settings.config().get());
                    err.flush();
                    return null;
                }
                applied = "generation " + a.generation() + " (revision " + revision + ")";
            }
            try {
                control = ControlServer.start(settings.controlSocket(), gateway);
                if (settings.metricsListen().isPresent()) {
                    metrics = MetricsServer.start(MetricsServer.parseListen(settings.metricsListen().get()),
                            GatewayMetrics.registry(MetricsSource.of(gateway)));
                }
            } catch (IOException | IllegalArgumentException e) {
                err.println("error: " + e.getMessage());
                err.flush();
                return null;
            }
            running = new Running(gateway, control, metrics);
        }
        return applied;
    }

    private static String address(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** Stops serving and releases the port: from the shutdown hook (signals), a failed start, or {@link #stop}. */
    synchronized void shutdown() {
        if (closed) return;
        closed = true;
        if (control != null) control.close();
        if (metrics != null) metrics.close();
        if (gateway != null) {
            gateway.close();
            PrintWriter out = spec.commandLine().getOut();
            out.println("gateway " + gateway.settings().node() + " stopped");
            out.flush();
        }
        stopped.countDown();
    }

    /** What a signal does, for tests: stop, and let {@link #call} return 0. */
    void stop() {
        shutdown();
    }
}
