package io.vgw.cli;

import io.vgw.config.Listen;
import io.vgw.config.load.Problem;
import io.vgw.reconciler.apply.ControlClient;
import io.vgw.reconciler.git.CommitVerifier;
import io.vgw.reconciler.git.GitException;
import io.vgw.reconciler.git.GitMirror;
import io.vgw.reconciler.loop.GatewayLink;
import io.vgw.reconciler.loop.Reconciler;
import io.vgw.reconciler.loop.ReconcilerMetrics;
import io.vgw.reconciler.loop.ReconcilerSettings;
import io.vgw.reconciler.server.ReconcilerClient;
import io.vgw.reconciler.server.ReconcilerServer;
import io.vgw.reconciler.state.StateStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = "Run the reconciler of this LB node: follow a branch or tag of a Git config repository and "
                + "bring every new commit to the local gateway: fetch, refuse a history rewrite, verify the "
                + "signature, validate, plan, check the guard rails, apply as one change, read back, record in the "
                + "state directory. A failed revision leaves the gateway as it was and is not retried until the ref "
                + "moves; a restarted gateway gets the last applied config back at once, even without the remote.",
        subcommands = {ReconcileCommand.Status.class, ReconcileCommand.Suspend.class, ReconcileCommand.Resume.class,
                ReconcileCommand.Pin.class, ReconcileCommand.Now.class},
        footer = {"", "Settings come from --config FILE (schemas/reconcile.schema.json); the flags override it, and "
                + "without a file --repo is enough. Stops cleanly on SIGTERM. Prints one line when ready.",
                "Exit codes: 1 invalid settings, or the state directory, sockets or ports could not be set up.", "",
                "Examples:",
                "  vgw reconcile --config /etc/vgw/reconcile.yaml",
                "  vgw reconcile --repo https://git.example.org/net/lb-config.git --ref stable --path config \\",
                "      --socket /run/vgw/lb1.sock --webhook 0.0.0.0:9180 --webhook-secret-file /etc/vgw/hook.secret",
                "  vgw reconcile status            vgw reconcile status --output json",
                "  vgw reconcile suspend           vgw reconcile resume",
                "  vgw reconcile pin 3c9ff63f72"})
final class ReconcileCommand implements Callable<Integer> {
    static final Path CONTROL_DIR = ReconcilerSettings.DEFAULT_CONTROL_DIR;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "reconcile.yaml (see schemas/reconcile.schema.json).")
    Path config;

    @Option(names = "--name", paramLabel = "NAME", description = "This node's name in status and metrics (default: the host name).")
    String name;

    @Option(names = "--repo", paramLabel = "URL", description = "Repository: file:///srv/config.git, a path, https://..., ssh://...")
    String repo;

    @Option(names = "--ref", paramLabel = "REF", description = "Branch or tag to follow (default main).")
    String ref;

    @Option(names = "--path", paramLabel = "DIR", description = "Config directory inside the repository (default: its root).")
    String path;

    @Option(names = {"-s", "--socket"}, paramLabel = "PATH", description = "The gateway's control socket (default: the only one in /run/vgw).")
    Path gatewaySocket;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Applied config, revision and Git mirror (default /var/lib/vgw).")
    Path stateDir;

    @Option(names = "--interval", paramLabel = "DURATION", description = "Poll interval, e.g. 30s or 1m (default 1m).")
    String interval;

    @Option(names = "--jitter", paramLabel = "PERCENT", description = "Random phase of the polls, share of the interval (default 10%%); they still fall every interval.")
    String jitter;

    @Option(names = "--webhook", paramLabel = "ADDR:PORT", description = "Listen for POST /hook (needs --webhook-secret-file).")
    String webhook;

    @Option(names = "--webhook-secret-file", paramLabel = "FILE", description = "The HMAC-SHA256 secret the hook's sender shares.")
    Path webhookSecret;

    @Option(names = "--verify", paramLabel = "MODE", description = "Signature verification: off (default), ssh, openpgp.")
    String verify;

    @Option(names = "--allowed-signers", paramLabel = "FILE", description = "ssh: the operator's allowed-signers file.")
    Path allowedSigners;

    @Option(names = "--revoked-keys", paramLabel = "FILE", description = "ssh: revoked public keys (or an OpenSSH KRL).")
    Path revokedKeys;

    @Option(names = "--allow-history-rewrite", description = "Apply a head that does not contain the applied commit.")
    boolean allowHistoryRewrite;

    @Option(names = "--max-moved-share", paramLabel = "PERCENT", description = "Guard rail: flows of a service that may move per revision (default 50%%).")
    String maxMoved;

    @Option(names = "--max-removed-services", paramLabel = "N", description = "Guard rail: services removed at once (default 1).")
    Integer maxRemoved;

    @Option(names = "--control-socket", paramLabel = "PATH", description = "This reconciler's socket (default /run/vgw-reconcile/NAME.sock).")
    Path controlSocket;

    @Option(names = "--metrics", paramLabel = "ADDR:PORT", description = "Prometheus endpoint, e.g. 127.0.0.1:9101.")
    String metrics;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Counted down once serving; {@link #running} then says on what (for tests and the lab). */
    final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    volatile ReconcilerServer running;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ReconcilerSettings settings;
        try {
            settings = settings();
        } catch (ReconcilerSettings.Invalid e) {
            for (Problem p : e.problems) err.println(p);
            err.printf("%s: %d problem%s; see schemas/reconcile.schema.json%n", config, e.problems.size(), e.problems.size() == 1 ? "" : "s");
            err.flush();
            return 1;
        }
        CommitVerifier verifier;
        try {
            verifier = settings.verify().verifier();
        } catch (GitException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        byte[] secret = null;
        if (settings.webhookListen().isPresent()) {
            Path file = settings.webhookSecretFile().orElseThrow(() ->
                    new IllegalArgumentException("a webhook needs its HMAC secret: give --webhook-secret-file FILE"));
            secret = Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
            if (secret.length < 16) throw new IllegalArgumentException(file + ": the webhook secret is shorter than 16 bytes");
        }
        Path gateway = settings.gatewaySocket().isPresent() ? settings.gatewaySocket().get() : SocketOption.find(SocketOption.RUN_DIR);
        StateStore store = StateStore.open(settings.stateDir());
        ReconcilerMetrics metrics = new ReconcilerMetrics();
        Thread hook = new Thread(stopped::countDown, "vgw-reconcile-shutdown");
        try (ControlClient client = new ControlClient(gateway, settings.gatewayTimeout());
             GitMirror mirror = GitMirror.open(settings.stateDir().resolve("mirror"), settings.remote());
             Reconciler reconciler = new Reconciler(settings, mirror, verifier, new GatewayLink.ControlGateway(client), store,
                     Clock.systemUTC(), metrics).start();
             ReconcilerServer server = ReconcilerServer.start(reconciler, metrics, settings.controlSocket(),
                     settings.webhookListen().map(Listen::parse).orElse(null), secret,
                     settings.metricsListen().map(Listen::parse).orElse(null))) {
            Runtime.getRuntime().addShutdownHook(hook);
            running = server;
            int index = 0;
            String webhookAt = settings.webhookListen().isPresent() ? Listen.format(server.address(++index)) : "off";
            String metricsAt = settings.metricsListen().isPresent() ? Listen.format(server.address(++index)) : "off";
            out.printf("reconciler %s ready: follows %s of %s%s, gateway %s, control %s, webhook %s, metrics %s, state %s%n",
                    settings.name(), settings.ref(), settings.url(), settings.path().isEmpty() ? "" : " (" + settings.path() + ")",
                    gateway, server.socket(), webhookAt, metricsAt, settings.stateDir());
            out.flush();
            ready.countDown();
            stopped.await();
            return 0;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // shutting down already, or never added
            }
        }
    }

    /** Stops a running daemon (tests); SIGTERM does the same. */
    void stop() {
        stopped.countDown();
    }

    /** The file's tree with the flags laid over it. */
    ReconcilerSettings settings() throws IOException {
        ObjectNode n = config != null ? ReconcilerSettings.read(config) : JsonMapper.shared().createObjectNode();
        if (name != null || !n.has("reconcile")) n.put("reconcile", name != null ? name : hostName());
        ObjectNode r = n.has("repository") ? (ObjectNode) n.get("repository") : n.putObject("repository");
        if (repo != null) r.put("url", repo);
        if (!r.has("url")) throw new IllegalArgumentException("which repository? give --repo URL or a --config file");
        if (ref != null) r.put("ref", ref);
        if (path != null) r.put("path", path);
        if (gatewaySocket != null) object(n, "gateway").put("socket", gatewaySocket.toAbsolutePath().toString());
        if (stateDir != null) n.put("state_dir", stateDir.toAbsolutePath().toString());
        if (interval != null) object(n, "poll").put("interval", check(interval, "[0-9]{1,9}(ms|s|m|h)", "--interval", "30s"));
        if (jitter != null) object(n, "poll").put("jitter", check(jitter, "(100|[0-9]{1,2})(\\.[0-9]+)?%", "--jitter", "10%"));
        if (webhook != null) object(n, "webhook").put("listen", check(webhook, Listen.PATTERN, "--webhook", "127.0.0.1:9180 or [fe80::2%mgmt]:9180"));
        if (webhookSecret != null) object(n, "webhook").put("secret_file", webhookSecret.toAbsolutePath().toString());
        if (verify != null) object(n, "verify").put("mode", check(verify, "off|ssh|openpgp", "--verify", "ssh"));
        if (allowedSigners != null) object(n, "verify").put("allowed_signers", allowedSigners.toAbsolutePath().toString());
        if (revokedKeys != null) object(n, "verify").put("revoked_keys", revokedKeys.toAbsolutePath().toString());
        if (allowHistoryRewrite) n.put("allow_history_rewrite", true);
        if (maxMoved != null) object(n, "guard").put("max_moved_share", check(maxMoved, "(100|[0-9]{1,2})(\\.[0-9]+)?%", "--max-moved-share", "50%"));
        if (maxRemoved != null) object(n, "guard").put("max_removed_services", maxRemoved);
        if (controlSocket != null) object(n, "control").put("socket", controlSocket.toAbsolutePath().toString());
        if (metrics != null) object(n, "metrics").put("listen", check(metrics, Listen.PATTERN, "--metrics", "127.0.0.1:9101"));
        Path base = config != null ? config.toAbsolutePath().getParent() : Path.of("").toAbsolutePath();
        return ReconcilerSettings.of(n, base);
    }

    private static ObjectNode object(ObjectNode n, String key) {
        return n.has(key) ? (ObjectNode) n.get(key) : n.putObject(key);
    }

    private static String check(String value, String pattern, String flag, String example) {
        if (!value.matches(pattern)) throw new IllegalArgumentException(flag + " " + value + ": expected e.g. " + example);
        return value;
    }

    private static String hostName() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip().toLowerCase(java.util.Locale.ROOT);
            return h.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?") ? h : "node";
        } catch (IOException e) {
            return "node";
        }
    }

    /** --socket and --output of the operator commands. */
    static final class Client {
        @Option(names = {"-s", "--socket"}, paramLabel = "PATH",
                description = "The reconciler's control socket (default: the only one in /run/vgw-reconcile).")
        Path socket;

        @Mixin
        Output output;

        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec spec;

        ReconcilerClient client() throws IOException {
            Path s = socket;
            if (s == null) {
                try {
                    s = SocketOption.find(CONTROL_DIR);
                } catch (IOException e) {
                    throw new IOException("no single reconciler socket in " + CONTROL_DIR + "; is `vgw reconcile` running? "
                            + "give its control.socket with --socket PATH");
                }
            }
            return new ReconcilerClient(s, Duration.ofMinutes(3));
        }

        /** Prints an action's answer: the attempt, then the status. */
        int print(JsonNode answer) {
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                out.print(JsonMapper.shared().writerWithDefaultPrettyPrinter().writeValueAsString(answer) + "\n");
            } else {
                JsonNode a = answer.path("attempt");
                if (!a.isMissingNode() && !a.isNull()) out.println(attempt(a));
                printStatus(out, answer.path("status"));
            }
            out.flush();
            String result = answer.path("attempt").path("result").asString("");
            return result.equals("FAILED") || result.equals("REFUSED") ? 1 : 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show what this node follows and runs: the ref, the last applied and last attempted revision "
                    + "with their times, the conditions (fetched, verified, valid, applied), the last error with its "
                    + "problems (file:line), the next poll and the last 10 attempts.",
            footer = {"", "Examples:", "  vgw reconcile status", "  vgw reconcile status --output json | jq .applied.commit"})
    static final class Status implements Callable<Integer> {
        @Mixin
        Client client;

        @Override
        public Integer call() throws IOException {
            JsonNode status = client.client().status();
            if (client.output.json()) return client.print(status);
            PrintWriter out = client.spec.commandLine().getOut();
            printStatus(out, status);
            out.flush();
            return 0;
        }
    }

    /** An operator action: one request to the reconciler, its answer printed. */
    abstract static class Action implements Callable<Integer> {
        @Mixin
        Client client;

        abstract JsonNode send(ReconcilerClient reconciler) throws IOException;

        @Override
        public Integer call() throws IOException {
            return client.print(send(client.client()));
        }
    }

    @Command(name = "suspend", mixinStandardHelpOptions = true,
            description = "Stop applying new revisions (the gateway is still watched and restored). Survives restarts.",
            footer = {"", "Example:", "  vgw reconcile suspend && vgw reconcile status"})
    static final class Suspend extends Action {
        @Override
        JsonNode send(ReconcilerClient reconciler) throws IOException {
            return reconciler.post("suspend");
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Follow the ref again (clears suspend and pin) and reconcile at once.",
            footer = {"", "Example:", "  vgw reconcile resume"})
    static final class Resume extends Action {
        @Override
        JsonNode send(ReconcilerClient reconciler) throws IOException {
            return reconciler.post("resume");
        }
    }

    @Command(name = "now", mixinStandardHelpOptions = true, description = "Fetch and reconcile now, without waiting for the poll.",
            footer = {"", "Exit codes: 0 applied or up to date, 1 the revision failed or was refused.", "",
                    "Example:", "  vgw reconcile now --output json | jq .attempt.result"})
    static final class Now extends Action {
        @Override
        JsonNode send(ReconcilerClient reconciler) throws IOException {
            return reconciler.post("reconcile");
        }
    }

    @Command(name = "pin", mixinStandardHelpOptions = true,
            description = "Apply an earlier revision (validated and guarded like any other) and stop following the ref "
                    + "until `vgw reconcile resume`. Exit 1 when the revision is refused (nothing changes then).",
            footer = {"", "Examples:", "  vgw reconcile pin 3c9ff63f72", "  vgw reconcile pin v1.4"})
    static final class Pin extends Action {
        @Parameters(paramLabel = "REV", description = "A commit id (full or abbreviated), tag or branch.")
        String revision;

        @Override
        JsonNode send(ReconcilerClient reconciler) throws IOException {
            return reconciler.pin(revision);
        }
    }

    static String attempt(JsonNode a) {
        String step = a.path("step").asString("");
        return String.format("%-8s %-10s %-11s %-15s %5d ms  %s", time(a.path("started")), shortId(a.path("revision")),
                a.path("result").asString("").toLowerCase(java.util.Locale.ROOT), a.path("trigger").asString(""),
                a.path("millis").asLong(), (step.isEmpty() ? "" : "at " + step + ": ") + a.path("message").asString(""));
    }

    static void printStatus(PrintWriter out, JsonNode s) {
        out.printf("reconciler %s  follows %s of %s%s%s%s%n", s.path("name").asString(), s.path("ref").asString(),
                s.path("url").asString(), s.path("path").asString("").isEmpty() ? "" : " (" + s.path("path").asString() + ")",
                s.path("suspended").asBoolean() ? "  SUSPENDED" : "",
                s.path("pinned").isString() ? "  PINNED to " + shortId(s.path("pinned")) : "");
        JsonNode applied = s.path("applied");
        out.printf("applied    %s%n", applied.isObject() ? shortId(applied.path("commit")) + "  at " + applied.path("at").asString()
                + "  generation " + applied.path("generation").asLong() : "nothing yet");
        JsonNode attempted = s.path("attempted");
        if (attempted.isObject()) {
            out.printf("attempted  %s  at %s  %s%n", shortId(attempted.path("commit")), attempted.path("at").asString(),
                    attempted.path("result").asString("in progress").toLowerCase(java.util.Locale.ROOT));
        }
        for (JsonNode c : s.path("conditions")) {
            out.printf("  %-9s %-3s %-18s %s%n", c.path("type").asString(), c.path("ok").asBoolean() ? "yes" : "no",
                    c.path("reason").asString(), c.path("message").asString());
        }
        if (s.path("next_poll").isString()) {
            long in = Duration.between(Instant.now(), Instant.parse(s.path("next_poll").asString())).toSeconds();
            out.printf("next poll  in %d s (%s)%n", Math.max(0, in), s.path("next_poll").asString());
        }
        JsonNode e = s.path("last_error");
        if (e.isObject()) {
            out.printf("last error %s at %s: %s%n", shortId(e.path("revision")), e.path("step").asString(), e.path("message").asString());
            for (JsonNode p : e.path("problems")) out.println("  " + p.asString());
        }
        List<JsonNode> history = s.path("history").valueStream().toList();
        if (!history.isEmpty()) {
            out.println("last attempts, newest first:");
            for (JsonNode a : history) out.println("  " + attempt(a));
        }
    }

    private static String shortId(JsonNode commit) {
        String c = commit.asString("");
        return c.isEmpty() ? "-" : c.length() > 10 ? c.substring(0, 10) : c;
    }

    private static String time(JsonNode instant) {
        String t = instant.asString("");
        int at = t.indexOf('T');
        return at < 0 ? t : t.substring(at + 1, Math.min(t.length(), at + 9));
    }
}
