package io.vgw.lab;

import static io.vgw.lab.Netns.concat;

import io.vgw.api.ApiJson;
import io.vgw.config.Durations;
import io.vgw.config.Ipv4;
import io.vgw.config.load.ConfigLoader;
import io.vgw.frr.FrrConfigs;
import io.vgw.frr.FrrDaemons;
import io.vgw.frr.Vtysh;
import io.vgw.reconciler.apply.ControlClient;
import io.vgw.reconciler.server.ReconcilerClient;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An LB cluster in network namespaces, built from a config: {@link Topology} for the network, then the programs
 * ({@link #programs}): FRR (zebra, ospfd, bfdd) in the router and every LB node, the real servers'
 * ({@link LabServer}) and one {@code vgw gateway} per LB node (AF_XDP on its interface where the kernel allows,
 * else AF_PACKET; next hops from its kernel, metrics on its address, the config applied at start).
 *
 * <p>Everything a lab owns is named in its {@link LabRecord} ({@code /run/vgw-lab/<prefix>/lab.json}), written as
 * {@link #up} goes; beside it the gateways' settings, logs, control sockets and the compiled decap program, and (with
 * reconcilers) the config repository ({@link LabRepo}) and each reconciler's state directory.
 * {@link #open} finds a lab by its prefix alone; {@link #down} stops the recorded processes (those that are still
 * the ones the lab started), then removes the namespaces, DPDK's run folders and the run folder. Commands that change
 * a lab hold a lock on it, so two of them never interleave.
 */
public final class Lab {
    public static final Path RUN = Path.of("/run/vgw-lab");
    /** Each gateway serves Prometheus metrics on its node's address, inside the node's namespace. */
    public static final int METRICS_PORT = 9100;
    /** Each reconciler serves its metrics on its node's address too. */
    public static final int RECONCILER_METRICS_PORT = 9101;
    /** How often the lab's reconcilers poll, besides the push hook. */
    public static final Duration POLL = Duration.ofSeconds(5);
    /** Debian packages per tool the lab needs. */
    private static final String[][] TOOLS = {
            {"ip", "iproute2"}, {"tc", "iproute2"}, {"ethtool", "ethtool"}, {"clang", "clang"}, {"sysctl", "procps"},
            {"vtysh", "frr"}, {"python3", "python3"}, {"git", "git"}, {"curl", "curl"}, {"bash", "bash"}};
    /** A gateway starts a JVM and DPDK on a machine that may be busy. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** The router's OSPF router id (the nodes' come from cluster.yaml). */
    static final int ROUTER_ID = Ipv4.parse("10.255.255.254");
    /** How long a node waits, after a VIP was withdrawn, before announcing it again (gateway.yaml announce.hold_down). */
    public static final Duration HOLD_DOWN = Duration.ofSeconds(2);
    /** The router learns every VIP from every node within this (OSPF adjacencies, BFD, the gateways' next hops). */
    private static final Duration ROUTES_TIMEOUT = Duration.ofSeconds(90);
    /** Name of the FRR program whose daemon runs in a namespace: frr-router-zebra, frr-lb1-ospfd, ... */
    private static final String FRR = "frr-";
    /** The gateways' port kinds (gateway.yaml port.kind); auto: AF_XDP where it works, else AF_PACKET. */
    public static final String PORT_AUTO = "auto";
    public static final List<String> PORT_KINDS = List.of(PORT_AUTO, "af_xdp", "af_packet");

    private final Path dir;
    private final Consumer<String> progress;
    private LabRecord record;

    private Lab(Path dir, LabRecord record, Consumer<String> progress) {
        this.dir = dir;
        this.record = record;
        this.progress = progress;
    }

    /**
     * Builds a lab from a config and starts everything; on any failure removes what it made and rethrows.
     *
     * @param vgw       the command that runs vgw (java, its options, the main class), to start gateways and servers
     * @param reconcile a Git config repository and a reconciler beside each gateway (else the config is applied by
     *                  hand: the gateways read the config folder at start, vgw apply changes it)
     * @param progress  receives one line per step, for people watching
     */
    public static Lab up(String prefix, Path configDir, List<String> vgw, boolean reconcile, Consumer<String> progress) {
        return up(prefix, configDir, vgw, reconcile, PORT_AUTO, progress);
    }

    /**
     * As {@link #up(String, Path, List, boolean, Consumer)}, the gateways' ports of this kind: {@code auto} (AF_XDP
     * where it works, else AF_PACKET), {@code af_xdp} or {@code af_packet} (gateway.yaml {@code port.kind}).
     */
    public static Lab up(String prefix, Path configDir, List<String> vgw, boolean reconcile, String portKind,
                         Consumer<String> progress) {
        checkPrerequisites();
        requirePortKind(portKind);
        ConfigLoader.Result loaded = ConfigLoader.load(configDir);
        if (!loaded.ok()) {
            throw new LabException(configDir + " is not valid; run `vgw validate " + configDir + "`:\n"
                    + String.join("\n", loaded.problems().stream().map(Object::toString).toList()));
        }
        LabPlan plan = LabPlan.of(prefix, loaded.config());
        Path dir = RUN.resolve(prefix);
        List<String> taken = plan.namespaces().stream().filter(Netns.list()::contains).toList();
        if (Files.exists(dir) || !taken.isEmpty()) {
            throw new LabException("lab '" + prefix + "' exists already" + (taken.isEmpty() ? "" : " (" + String.join(", ", taken) + ")")
                    + "; `vgw lab down --prefix " + prefix + "` first, or choose another --prefix");
        }
        try {
            Files.createDirectories(RUN);
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> dpdk = plan.nodes().stream().map(Lab::dpdkFilePrefix).toList();
        Lab lab = new Lab(dir, new LabRecord(prefix, configDir.toAbsolutePath().normalize().toString(), plan,
                plan.namespaces(), plan.links(), dpdk, List.of()), progress);
        try (Locked ignored = lab.lock()) {
            lab.record.write(dir);
            lab.build(vgw, reconcile, portKind);
        } catch (RuntimeException | IOException e) {
            progress.accept("failed, removing what was made: " + e.getMessage());
            lab.down();
            if (e instanceof IOException io) throw new UncheckedIOException(io);
            throw (RuntimeException) e;
        }
        return lab;
    }

    /** The lab of this prefix, from its record; an error naming the labs that exist when there is none. */
    public static Lab open(String prefix, Consumer<String> progress) {
        Path dir = RUN.resolve(LabPlan.checkPrefix(prefix));
        return LabRecord.read(dir).map(r -> new Lab(dir, r, progress)).orElseThrow(() -> new LabException(noSuchLab(prefix)));
    }

    public static boolean exists(String prefix) {
        return Files.exists(RUN.resolve(LabPlan.checkPrefix(prefix)));
    }

    /** The prefixes of the labs on this machine (those with a record). */
    public static List<String> labs() {
        if (!Files.isDirectory(RUN)) return List.of();
        try (Stream<Path> dirs = Files.list(RUN)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve(LabRecord.FILE))).map(d -> d.getFileName().toString())
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String noSuchLab(String prefix) {
        List<String> labs = labs();
        String message = "no lab '" + prefix + "' on this machine; " + (labs.isEmpty()
                ? "none is up (start one with: vgw lab up)"
                : "labs here: " + String.join(", ", labs) + " (choose one with --prefix)");
        List<String> strays = Netns.list().stream().filter(n -> n.startsWith(prefix + "-")).toList();
        if (!strays.isEmpty()) {
            message += "; namespaces " + String.join(", ", strays) + " exist without a lab record (left by an older "
                    + "vgw?): stop what runs in them, then `ip netns del NAME`";
        }
        return message;
    }

    public LabPlan plan() {
        return record.plan();
    }

    public LabRecord record() {
        return record;
    }

    public Path dir() {
        return dir;
    }

    public Path socket(LabPlan.Node node) {
        return dir.resolve(node.name() + ".sock");
    }

    /** Where a node's gateway serves Prometheus metrics (inside the node's namespace). */
    public static String metrics(LabPlan.Node node) {
        return Ipv4.format(node.address()) + ":" + METRICS_PORT;
    }

    /**
     * One sample of a node's gateway metrics, read as an operator's scraper reads them (Prometheus text over HTTP,
     * inside the node's namespace): {@code series} is the name with its labels, e.g.
     * {@code vgw_conn_misses_total{kind="mid"}}. Empty when the gateway reports no such series.
     */
    public static OptionalDouble metric(LabPlan.Node node, String series) throws Exception {
        String text = Netns.call(node.namespace(), () -> LabClient.get(node.address(), METRICS_PORT, "/metrics"));
        String sample = series + " ";
        return text.lines().filter(l -> l.startsWith(sample))
                .mapToDouble(l -> Double.parseDouble(l.substring(sample.length()).strip())).findFirst();
    }

    /** The config repository, when the lab runs reconcilers ({@link #reconciles}). */
    public LabRepo repo() {
        return LabRepo.in(dir);
    }

    public boolean reconciles() {
        return Files.isDirectory(repo().bare());
    }

    /** The name of a node's reconciler among the lab's programs. */
    public static String reconciler(LabPlan.Node node) {
        return node.name() + "-reconcile";
    }

    public Path reconcilerSocket(LabPlan.Node node) {
        return dir.resolve(reconciler(node) + ".sock");
    }

    /**
     * Waits until every node's gateway runs {@code commit}; the time each took since {@code sinceNanos} (a push).
     * Asks each gateway's GET /v1/revision every 10 ms (the figures are that exact): asking more often, or for the
     * whole status, would take CPU from the reconcilers and gateways it measures on a small machine. The nodes are
     * watched side by side, so a node's time is not its own plus the wait for the nodes before it.
     */
    public List<Duration> awaitApplied(String commit, long sinceNanos, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<Duration>> nodes = new ArrayList<>();
        for (LabPlan.Node n : plan().nodes()) {
            var took = new CompletableFuture<Duration>();
            Thread.ofVirtual().name("await-" + n.name()).start(() -> {
                try {
                    took.complete(awaitApplied(n, commit, sinceNanos, deadline, timeout));
                } catch (Throwable t) {
                    took.completeExceptionally(t);
                }
            });
            nodes.add(took);
        }
        List<Duration> took = new ArrayList<>();
        for (var node : nodes) {
            try {
                took.add(node.join());
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw e;
            }
        }
        return took;
    }

    private Duration awaitApplied(LabPlan.Node n, String commit, long sinceNanos, long deadline, Duration timeout) {
        try (ControlClient client = new ControlClient(socket(n), Duration.ofSeconds(10))) {
            while (true) {
                long now = System.nanoTime();
                try {
                    if (commit.equals(client.revision().revision())) return Duration.ofNanos(System.nanoTime() - sinceNanos);
                } catch (ControlClient.ControlException e) {
                    // a gateway that is restarting: keep asking until the deadline
                }
                if (now > deadline) {
                    throw new LabException(n.name() + " does not run " + commit + " after " + timeout.toSeconds()
                            + " s; see `vgw reconcile status --socket " + reconcilerSocket(n) + "` and " + log(reconciler(n)));
                }
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
        } catch (ControlClient.ControlException e) {
            throw new LabException(n.name() + ": " + e.getMessage());
        }
    }

    /**
     * Runs the repository's post-receive hook as a push would (nothing pushed) and waits until every reconciler was
     * triggered by it: a broken hook shows at up, not as a push that waits for the next poll, and the first push
     * does not meet a webhook server that never answered (its first request costs a cold JVM seconds on a busy host).
     */
    private void awaitHookReaches(Duration timeout) {
        Netns.run("sh", "-c", "echo | " + repo().bare().resolve("hooks/post-receive"));
        long deadline = System.nanoTime() + timeout.toNanos();
        for (LabPlan.Node n : plan().nodes()) {
            var client = new ReconcilerClient(reconcilerSocket(n), Duration.ofSeconds(10));
            while (true) {
                try {
                    boolean reached = false;
                    for (JsonNode attempt : client.status().path("history")) reached |= attempt.path("trigger").asString().equals("webhook");
                    if (reached) break;
                } catch (IOException e) {
                    // not answering yet: keep asking until the deadline
                }
                if (System.nanoTime() > deadline) {
                    throw new LabException(n.name() + "'s reconciler got no webhook from " + repo().bare().resolve("hooks/post-receive")
                            + " in " + timeout.toSeconds() + " s; run the hook by hand to see why, and see " + log(reconciler(n)));
                }
                waitABit();
            }
        }
    }

    public Path log(String program) {
        return dir.resolve(program + ".log");
    }

    /** Refuses politely when the lab cannot run here: not root, or a tool missing. */
    public static void checkPrerequisites() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new LabException("the lab creates network namespaces and needs root: run it as root (sudo)");
        }
        for (String[] tool : TOOLS) {
            if (Netns.tryRun("sh", "-c", "command -v " + tool[0]).code() != 0) {
                throw new LabException(tool[0] + " is missing: apt-get install " + tool[1]);
            }
        }
        if (!Files.exists(Path.of("/usr/include/bpf/bpf_helpers.h"))) {
            throw new LabException("libbpf headers are missing: apt-get install libbpf-dev");
        }
        // The nodes' management links (the push hook's way to the reconcilers) are IPv6 link-local.
        Path ipv6 = Path.of("/proc/sys/net/ipv6/conf/default/disable_ipv6");
        try {
            if (!Files.exists(ipv6) || Files.readString(ipv6).strip().equals("1")) {
                throw new LabException("the lab's management links need IPv6 (link-local addresses only); enable it: "
                        + "sysctl -w net.ipv6.conf.default.disable_ipv6=0 (or boot without ipv6.disable=1)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void build(List<String> vgw, boolean reconcile, String portKind) throws IOException {
        LabPlan plan = plan();
        progress.accept("compiling the real servers' IPIP decap program (tc BPF)");
        Path decap = compileDecap();
        progress.accept("creating " + plan.namespaces().size() + " namespaces: client, router, "
                + plan.nodes().size() + " LB nodes, " + plan.servers().size() + " real servers");
        Topology.create(plan, decap);
        if (reconcile) {
            repo().create(Path.of(record.config()), plan.nodes().stream().map(plan::managementAddress).toList());
            progress.accept("config repository " + repo().bare() + " (main), a clone to commit in: " + repo().clone());
        }
        List<LabProcess> programs = programs(vgw, reconcile, portKind);
        for (LabProcess p : programs) {
            progress.accept("starting " + p.name() + " in " + p.namespace());
            start(p);
        }
        for (LabProcess p : programs) awaitReady(p.name());
        configureFrr("router");
        for (LabPlan.Node n : plan.nodes()) configureFrr(n.name());
        if (reconcile) {
            awaitApplied(repo().head(), System.nanoTime(), READY_TIMEOUT);
            progress.accept("checking the config repository's hook: it pings every node's reconciler");
            awaitHookReaches(READY_TIMEOUT);
        }
        progress.accept("waiting for the router to learn every VIP from every node (OSPF, ECMP)");
        awaitRoutes(plan.nodes().size(), ROUTES_TIMEOUT);
        List<JsonNode> status = gatewayStatus();
        for (int i = 0; i < plan.nodes().size(); i++) {
            JsonNode s = status.get(i);
            progress.accept("gateway " + plan.nodes().get(i).name() + " runs revision "
                    + (s == null ? "?" : s.path("revision").asString() + " (generation " + s.path("generation").asLong() + ")")
                    + ", metrics on " + metrics(plan.nodes().get(i)));
        }
        progress.accept("lab '" + plan.prefix() + "' is up");
    }

    /**
     * Every program the lab runs, in start order, each in its namespace: THE place to add one (FRR in the router
     * and LB namespaces, a reconciler beside each gateway). Write its files into the run folder here and give it a
     * ready check; the lab then records it, waits until it is ready, restarts it on {@code vgw lab restart NAME}
     * and stops it on down. Programs start side by side, as daemons do at boot: one that talks to another retries
     * until it answers.
     */
    private List<LabProcess> programs(List<String> vgw, boolean reconcile, String portKind) throws IOException {
        List<LabProcess> all = new ArrayList<>();
        // FRR (zebra, ospfd, bfdd) in the router and in every LB node, each namespace's daemons in a folder of their
        // own; configured by vtysh once they serve (configureFrr).
        List<String[]> frr = new ArrayList<>();
        frr.add(new String[] {"router", plan().router()});
        for (LabPlan.Node n : plan().nodes()) frr.add(new String[] {n.name(), n.namespace()});
        for (String[] f : frr) {
            FrrDaemons.prepare(frrDir(f[0]));
            for (String daemon : FrrDaemons.DAEMONS) {
                all.add(LabProcess.of(FRR + f[0] + "-" + daemon, f[1], FrrDaemons.command(frrDir(f[0]), daemon))
                        .readyWhenFileExists(FrrDaemons.socket(frrDir(f[0]), daemon)));
            }
        }
        for (LabPlan.Server s : plan().servers()) {
            // LabServer binds its HTTP ports last: the last one listening means all are.
            all.add(LabProcess.of(s.name(), s.namespace(), concat(jvm(vgw, SERIAL_GC), "lab", "serve", "--name", s.name(), "--http", "80,8080"))
                    .readyWhenListening(8080));
        }
        for (LabPlan.Node n : plan().nodes()) {
            Path settings = settingsFile(n);
            // The control socket appears once the gateway has applied its config and serves.
            Files.writeString(settings, gatewaySettings(n, reconcile, portKind));
            all.add(LabProcess.of(n.name(), n.namespace(), concat(jvm(vgw, ZGC), "gateway", "--config", settings.toString()))
                    .readyWhenFileExists(socket(n)));
        }
        for (LabPlan.Node n : reconcile ? plan().nodes() : List.<LabPlan.Node>of()) {
            // Beside its gateway, in its namespace: the webhook on the node's management link, metrics on the node.
            all.add(LabProcess.of(reconciler(n), n.namespace(), concat(jvm(jvm(vgw, SERIAL_GC), C1_ONLY), "reconcile", "--name", n.name(),
                    "--repo", repo().url(), "--ref", "main", "--socket", socket(n).toString(),
                    "--state-dir", dir.resolve(reconciler(n)).toString(), "--control-socket", reconcilerSocket(n).toString(),
                    "--interval", Durations.format(POLL), "--jitter", "10%",
                    "--webhook", "[" + LabPlan.MANAGEMENT_NODE + "%" + LabPlan.MANAGEMENT_IFACE + "]:" + LabRepo.WEBHOOK_PORT, "--webhook-secret-file", repo().secret().toString(),
                    "--metrics", Ipv4.format(n.address()) + ":" + RECONCILER_METRICS_PORT))
                    .readyWhenFileExists(reconcilerSocket(n)));
        }
        return all;
    }

    /**
     * The collectors as ./vgw chooses them: ZGC for a gateway (a stop-the-world pause stops its workers' forwarding),
     * the serial collector for the rest (no GC threads beside a small heap: the reconcilers and servers share the
     * lab's cores with the gateways they serve and measure).
     */
    static final String ZGC = "-XX:+UseZGC";
    static final String SERIAL_GC = "-XX:+UseSerialGC";
    /**
     * The reconcilers compile with C1 alone: a reconcile is a few milliseconds of code now and then, and C2 compiling
     * it took more CPU over the first pushes than running it did, on the cores the push, both nodes and their
     * gateways share at that moment.
     */
    static final String C1_ONLY = "-XX:TieredStopAtLevel=1";

    /** {@code vgw} (java, its options, the main class) with {@code option} given to the JVM. */
    static List<String> jvm(List<String> vgw, String option) {
        List<String> command = new ArrayList<>(vgw);
        command.add(1, option);
        return command;
    }

    private static String dpdkFilePrefix(LabPlan.Node n) {
        return n.namespace();
    }

    /**
     * Without reconcilers a gateway re-reads the lab's config folder whenever it starts: a restarted one comes back
     * with it. With them, the reconciler gives a restarted gateway the last applied config.
     */
    private String gatewaySettings(LabPlan.Node n, boolean reconcile, String portKind) {
        return """
                # written by vgw lab up: gateway %s in namespace %s
                gateway: %s
                address: %s
                %s
                eal: {memory_mb: 256, log_level: error, args: ["--file-prefix=%s"]}
                port: {iface: %s, kind: %s, next_hop: kernel}
                conn_table: {entries: 65536}
                control: {socket: %s}
                metrics: {listen: "%s"}
                announce: {device: %s, hold_down: %s, vty_socket: %s, drain_quiet: 500ms, drain_timeout: 5s}
                """.formatted(n.name(), n.namespace(), n.name(), Ipv4.format(n.address()),
                reconcile ? "# config: given by the reconciler beside it" : "config: " + record.config(),
                dpdkFilePrefix(n), n.iface(), portKind, socket(n), metrics(n), FrrConfigs.DEFAULT_DEVICE, Durations.format(HOLD_DOWN),
                frrDir(n.name()));
    }

    private static void requirePortKind(String portKind) {
        if (!PORT_KINDS.contains(portKind)) {
            throw new LabException("port kind '" + portKind + "': choose one of " + String.join(", ", PORT_KINDS));
        }
    }

    private Path settingsFile(LabPlan.Node n) {
        return dir.resolve(n.name() + ".yaml");
    }

    /**
     * Restarts a node's gateway with another port kind (auto, af_xdp, af_packet), as {@link #restart} does, and
     * keeps it for later restarts: to compare AF_XDP with AF_PACKET side by side in one lab.
     */
    public LabProcess restartGateway(LabPlan.Node n, String portKind) {
        requirePortKind(portKind);
        try {
            Files.writeString(settingsFile(n), gatewaySettings(n, reconciles(), portKind));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return restart(n.name());
    }

    /** The run folder of a namespace's FRR daemons ("router" or a node's name). */
    public Path frrDir(String name) {
        return dir.resolve("frr-" + name);
    }

    /**
     * Renders FRR's config for the router or a node from the lab's config and applies it (what `vgw frr render
     * --apply` does on a host): the nodes' from cluster.yaml, the router's with an OSPF interface per node link.
     */
    private void configureFrr(String name) throws IOException {
        ConfigLoader.Result loaded = ConfigLoader.load(Path.of(record.config()));
        if (!loaded.ok()) throw new LabException(record.config() + " is no longer valid; run `vgw validate " + record.config() + "`");
        String text = name.equals("router")
                ? FrrConfigs.router(loaded.config().cluster(), ROUTER_ID,
                        plan().nodes().stream().map(LabPlan.Node::routerIface).toList(), FrrConfigs.hostname())
                : FrrConfigs.node(loaded.config(), name, FrrConfigs.hostname(), FrrConfigs.DEFAULT_DEVICE);
        Path file = dir.resolve("frr-" + name + ".conf");
        Files.writeString(file, text);
        progress.accept("configuring FRR in " + (name.equals("router") ? plan().router() : name) + " (" + file.getFileName() + ")");
        Vtysh.at(frrDir(name)).apply(file);
    }

    /**
     * The router's next hops per VIP, by node name, as its kernel has them (what ECMP spreads flows over); a VIP
     * nobody announces has none. A test's override (metric 1) hides OSPF's route, so only it is shown then.
     */
    public Map<Integer, List<String>> routerNextHops() {
        Map<Integer, List<String>> all = new LinkedHashMap<>();
        for (int vip : plan().vips()) {
            String json = Netns.run("ip", "-j", "-n", plan().router(), "route", "show", Ipv4.format(vip) + "/32");
            List<String> hops = new ArrayList<>();
            for (JsonNode route : JsonMapper.shared().readTree(json.isBlank() ? "[]" : json)) {
                if (route.path("metric").asInt(0) == 1) {
                    hops = new ArrayList<>(List.of(nodeFor(route.path("gateway").asString())));
                    break;
                }
                if (route.has("gateway")) hops.add(nodeFor(route.path("gateway").asString()));
                for (JsonNode h : route.path("nexthops")) hops.add(nodeFor(h.path("gateway").asString()));
            }
            all.put(vip, hops);
        }
        return all;
    }

    private String nodeFor(String address) {
        return plan().nodes().stream().filter(n -> Ipv4.format(n.address()).equals(address)).map(LabPlan.Node::name)
                .findFirst().orElse(address);
    }

    /** Waits until every VIP has {@code hops} next hops on the router, saying which are missing if it times out. */
    public void awaitRoutes(int hops, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<Integer, List<String>> now = routerNextHops();
            if (now.values().stream().allMatch(h -> h.size() == hops)) return;
            if (System.nanoTime() > deadline) {
                throw new LabException("the router did not learn every VIP from " + hops + " nodes within "
                        + timeout.toSeconds() + " s: " + describe(now) + " (see " + dir + "/frr-*/ospfd.log, the gateways' "
                        + "logs and `vgw status --socket " + dir + "/NODE.sock`)");
            }
            waitABit();
        }
    }

    /** "192.0.2.10 -> lb1, lb2; ..." */
    public static String describe(Map<Integer, List<String>> hops) {
        List<String> parts = new ArrayList<>();
        hops.forEach((vip, h) -> parts.add(Ipv4.format(vip) + " -> " + (h.isEmpty() ? "no route" : String.join(", ", h))));
        return String.join("; ", parts);
    }

    /** kill -9 of a node's gateway, its FRR staying up: the kernel removes its TAP device and the VIP addresses on it. */
    public void killGateway(LabPlan.Node n) {
        kill(List.of(record.process(n.name())));
    }

    /** kill -9 of everything on a node: its gateway and its FRR daemons (the router notices by BFD). */
    public void killNode(LabPlan.Node n) {
        kill(record.processes().stream().filter(p -> p.namespace().equals(n.namespace())).toList());
    }

    private static void kill(List<LabProcess> processes) {
        List<ProcessHandle> all = processes.stream().filter(LabProcess::running)
                .flatMap(p -> ProcessHandle.of(p.pid()).stream()).toList();
        all.forEach(ProcessHandle::destroyForcibly);
        all.forEach(p -> p.onExit().join());
    }

    /**
     * Brings back what {@link #killGateway}, {@link #killNode} or a drain stopped on a node: its FRR daemons (then
     * their config) and its gateway, which re-applies the lab's config and announces once it can forward.
     */
    public void restartNode(LabPlan.Node n) {
        for (LabProcess p : record.processes()) {
            if (p.namespace().equals(n.namespace()) && p.name().startsWith(FRR) && !p.running()) restart(p.name());
        }
        if (!record.process(n.name()).running()) restart(n.name());
    }

    /** A node's gateway while it runs. */
    public Optional<ProcessHandle> gateway(LabPlan.Node n) {
        LabProcess p = record.process(n.name());
        return p.running() ? ProcessHandle.of(p.pid()) : Optional.empty();
    }

    /** Starts a program in its namespace, detached from us, appending to its log, and records its pid. */
    private void start(LabProcess p) throws IOException {
        // A ready file left by a process that died would make the new one look ready at once.
        if (p.readyFile() != null) Files.deleteIfExists(Path.of(p.readyFile()));
        Process started = new ProcessBuilder(Netns.inside(p.namespace(), p.command())).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(p.name()).toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        record = record.with(p.started(started.pid()));
        record.write(dir);
    }

    /** Waits until a program shows its ready sign; fails with its log's tail if it exits or takes too long. */
    private void awaitReady(String name) {
        LabProcess p = record.process(name);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!p.ready()) {
            if (!p.running()) throw new LabException(name + " exited: " + logTail(name));
            if (System.nanoTime() > deadline) {
                throw new LabException(name + " did not get ready in " + READY_TIMEOUT.toSeconds() + " s: " + logTail(name));
            }
            waitABit();
        }
    }

    /**
     * Stops and starts one program (a gateway, a real server, ...) as it was started, and waits until it is ready;
     * a gateway re-applies the lab's config at start. For repairing what a fault test broke.
     */
    public LabProcess restart(String name) {
        try (Locked ignored = lock()) {
            LabProcess p = record.process(name);
            if (!Netns.list().contains(p.namespace())) {
                throw new LabException("namespace " + p.namespace() + " is gone, so lab '" + plan().prefix()
                        + "' is broken: `vgw lab down --prefix " + plan().prefix() + "`, then up again");
            }
            if (p.running()) progress.accept("stopping " + name + " (pid " + p.pid() + ")");
            if (!stop(List.of(p)).isEmpty()) throw new LabException(name + " (pid " + p.pid() + ") would not stop, even killed");
            progress.accept("starting " + name + " in " + p.namespace());
            start(p);
            awaitReady(name);
            // A restarted FRR daemon starts empty: once its namespace's daemons all run, they get their config again.
            if (name.startsWith(FRR) && record.processes().stream()
                    .filter(q -> q.namespace().equals(p.namespace()) && q.name().startsWith(FRR)).allMatch(LabProcess::running)) {
                configureFrr(name.substring(FRR.length(), name.lastIndexOf('-')));
            }
            return record.process(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops the recorded processes, then removes the namespaces, DPDK's run folders and the run folder. When a
     * process will not stop, the namespaces and the record stay (so nothing is orphaned) and this says so.
     */
    public void down() {
        try (Locked ignored = lock()) {
            List<LabProcess> left = stop(record.processes().reversed());
            if (!left.isEmpty()) {
                throw new LabException("lab '" + plan().prefix() + "' is not down: " + String.join(", ", left.stream()
                        .map(p -> p.name() + " (pid " + p.pid() + ")").toList()) + " would not stop; kill them, then "
                        + "run `vgw lab down --prefix " + plan().prefix() + "` again");
            }
            List<String> namespaces = Topology.destroy(plan(), record.namespaces());
            if (!namespaces.isEmpty()) {
                throw new LabException("could not remove namespaces " + String.join(", ", namespaces) + "; run `vgw lab "
                        + "down --prefix " + plan().prefix() + "` again");
            }
            for (String filePrefix : record.dpdkFilePrefixes()) deleteRecursively(LabRecord.dpdkRunFolder(filePrefix));
            deleteRecursively(dir);
        }
    }

    /** Asks each running process to stop (SIGTERM), kills those still there after a while; those that remain. */
    private static List<LabProcess> stop(List<LabProcess> processes) {
        List<LabProcess> running = processes.stream().filter(LabProcess::running).toList();
        running.forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroy));
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (running.stream().anyMatch(LabProcess::running) && System.nanoTime() < deadline) waitABit();
        running.stream().filter(LabProcess::running).forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly));
        long killed = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (running.stream().anyMatch(LabProcess::running) && System.nanoTime() < killed) waitABit();
        return running.stream().filter(LabProcess::running).toList();
    }

    /** The lab's processes still running (none after {@link #down}). */
    public List<ProcessHandle> running() {
        return record.processes().stream().filter(LabProcess::running)
                .flatMap(p -> ProcessHandle.of(p.pid()).stream()).toList();
    }

    /** An exclusive hold on the lab for one command (up, restart, down); refused while another command has it. */
    private interface Locked extends AutoCloseable {
        @Override
        void close();
    }

    private Locked lock() {
        try {
            FileChannel channel = FileChannel.open(dir.resolve("lab.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw new LabException("another vgw lab command is working on lab '" + plan().prefix() + "'; wait for it");
            }
            return () -> {
                try {
                    channel.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Is this pid in the lab's namespace? It is if /proc/PID/ns/net names the same namespace (inode) as the
     * namespace's file.
     */
    static boolean inNamespace(long pid, String namespace) {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")).toString();
            Object inode = Files.getAttribute(Path.of("/var/run/netns/" + namespace), "unix:ino");
            return link.equals("net:[" + inode + "]");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Back to the lab's normal state for a VIP: the router follows OSPF (ECMP over the nodes that announce it). */
    public void routeToAllNodes(int vip) {
        Topology.clearOverride(plan(), vip);
    }

    /** The router sends a VIP to one LB node only, overriding OSPF (move flows between nodes). */
    public void routeToNode(int vip, LabPlan.Node node) {
        Topology.override(plan(), vip, node.address(), node.routerIface());
    }

    /** The router sends a VIP straight to one real server, no load balancer: the kernel-forwarding baseline. */
    public void routeToServer(int vip, LabPlan.Server server) {
        Topology.override(plan(), vip, server.address(), "br0");
    }

    /** An interface statistic (e.g. rx_bytes) inside a namespace. */
    public static long interfaceCounter(String namespace, String iface, String statistic) {
        return Long.parseLong(Netns.exec(namespace, "cat", "/sys/class/net/" + iface + "/statistics/" + statistic).strip());
    }

    /** Status of every gateway of the lab, as their control APIs answer (null for one that does not answer). */
    public List<JsonNode> gatewayStatus() {
        List<JsonNode> all = new ArrayList<>();
        for (LabPlan.Node n : plan().nodes()) {
            try (ControlClient client = new ControlClient(socket(n))) {
                all.add(ApiJson.MAPPER.valueToTree(client.status()));
            } catch (IOException | RuntimeException e) {
                all.add(null);
            }
        }
        return all;
    }

    private Path compileDecap() throws IOException {
        Path source = dir.resolve("ipip_decap.c");
        try (InputStream in = Lab.class.getResourceAsStream("ipip_decap.c")) {
            if (in == null) throw new LabException("ipip_decap.c is missing from the lab's jar");
            Files.write(source, in.readAllBytes());
        }
        Path object = dir.resolve("ipip_decap.o");
        Netns.run("clang", "-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", source.toString(),
                "-o", object.toString());
        return object;
    }

    private String logTail(String name) {
        try {
            List<String> lines = Files.readAllLines(log(name));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void waitABit() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted");
        }
    }

    private static void deleteRecursively(Path path) {
        if (!Files.exists(path)) return;
        try (var walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
