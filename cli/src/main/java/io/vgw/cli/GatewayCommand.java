package io.vgw.cli;

import io.vgw.api.ConfigRequest;
import io.vgw.config.Listen;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.config.load.SourceFile;
import io.vgw.gateway.Daemon;
import io.vgw.gateway.os.SdNotify;
import io.vgw.gateway.GatewaySettings;
import io.vgw.gateway.control.ControlServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Run the gateway daemon: the DPDK port and a worker per queue, the control API on a unix "
                + "socket (vgw status, vgw apply, curl --unix-socket), Prometheus metrics. Stops cleanly on SIGTERM "
                + "or SIGINT (control API first, then the port).",
        footer = {"", "FILE is described by schemas/gateway.schema.json: node name and address, DPDK port, "
                + "control.socket (default /run/vgw/<gateway>.sock), metrics.listen, and optionally `config`, a "
                + "directory applied before the workers start. An invalid one stops the start (exit 1): a "
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

    /** Counted down once the daemon serves; {@link #daemon} then says what it serves on (for tests). */
    final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    volatile Daemon daemon;

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
        Optional<Daemon.Initial> initial = Optional.empty();
        if (settings.config().isPresent()) {
            Path dir = settings.config().get();
            List<SourceFile> files = ConfigLoader.readDirectory(dir);
            ConfigLoader.Result loaded = ConfigLoader.load(dir.toString(), files);
            if (!loaded.ok()) {
                for (Problem p : loaded.problems()) err.println(p);
                err.printf("%s: %d problem%s in the config named by %s; the gateway does not start with an invalid "
                                + "config (fix it, or remove `config` to start with none)%n", dir, loaded.problems().size(),
                        loaded.problems().size() == 1 ? "" : "s", config);
                err.flush();
                return 1;
            }
            initial = Optional.of(new Daemon.Initial(loaded.config(), ConfigRequest.contentRevision(files), files));
        }

        try {
            ControlServer.prepare(settings.controlSocket().toAbsolutePath()); // before DPDK: fail early when taken
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 1;
        }

        Daemon d = new Daemon(settings);
        d.onDrained(stopped::countDown); // vgw drain: the daemon stopped itself, the process ends
        daemon = d;
        Thread hook = new Thread(this::stop, "vgw-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            d.start(initial);
            out.printf("gateway %s ready: port %s mac %s, control %s, metrics %s, %s%n", settings.node(),
                    d.gateway().link().port().name(), d.gateway().link().port().macAddressString(), d.controlSocket(),
                    d.metricsAddress().map(Listen::format).orElse("off"), d.applied());
            out.flush();
            SdNotify.send("READY=1");
            ready.countDown();
            stopped.await();
            return 0;
        } catch (Daemon.StartFailed e) {
            err.println(e.getMessage().startsWith("refused: ") ? e.getMessage() : "error: " + e.getMessage()
                    + " (settings: " + config + ")");
            err.flush();
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            stop();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running or has run
            }
        }
    }

    /** Stops the daemon: from the shutdown hook (signals), a failed start, or a test. */
    void stop() {
        Daemon d = daemon;
        if (d != null && d.stop()) {
            PrintWriter out = spec.commandLine().getOut();
            out.println("gateway " + d.gateway().settings().node() + " stopped");
            out.flush();
        }
        stopped.countDown();
    }
}
