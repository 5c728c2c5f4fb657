package io.vgw.cli;

import io.vgw.reconciler.apply.ControlClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "drain", mixinStandardHelpOptions = true,
        description = "Take this LB node out of service without losing a connection: the gateway withdraws its VIPs "
                + "(the router stops sending it new and existing flows, which the other nodes take over with the same "
                + "real servers), keeps forwarding until no VIP packet arrives any more, then stops. SIGTERM does the same.",
        footer = {"", "Waits until the gateway has stopped (its control socket is gone), showing progress; --no-wait "
                + "returns once the drain has started.",
                "Exit codes: 0 drained and stopped, 1 the gateway cannot drain (it announces nothing) or did not stop "
                        + "within --timeout, 64 bad usage.", "",
                "Examples:",
                "  vgw drain --socket /run/vgw/lb1.sock",
                "  systemctl stop vgw-gateway@lb1      # the same drain, through SIGTERM"})
final class DrainCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Option(names = "--timeout", defaultValue = "60s", paramLabel = "DURATION",
            description = "How long to wait for the gateway to stop (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--no-wait", description = "Return once the drain has started.")
    boolean noWait;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Duration limit = io.vgw.config.Durations.parse(timeout);
        Path path = socket.resolve();
        PrintWriter out = spec.commandLine().getOut();
        try (ControlClient client = new ControlClient(path)) {
            client.drain();
        }
        out.println("draining " + path + ": VIPs withdrawn; the gateway forwards until the router has moved the traffic");
        out.flush();
        if (noWait) return 0;
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        long nextDot = start;
        while (Files.exists(path)) {
            if (System.nanoTime() > deadline) {
                spec.commandLine().getErr().println("error: the gateway still runs after " + timeout
                        + "; see its log (VIP traffic still arriving?) or stop it with SIGTERM");
                return 1;
            }
            if (System.nanoTime() >= nextDot) {
                out.print(".");
                out.flush();
                nextDot += 1_000_000_000L;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
        out.printf("%ndrained and stopped after %.1f s%n", (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
