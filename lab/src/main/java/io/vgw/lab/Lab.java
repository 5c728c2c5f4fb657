package io.vgw.lab;

import io.vgw.config.Ipv4;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import io.vgw.reconciler.apply.ControlClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * An LB cluster in network namespaces, built from a config: {@link Topology} for the network, then the real
 * servers' programs ({@link LabServer}) and one {@code vgw gateway} per LB node (AF_PACKET on its interface, next
 * hops from its kernel), each given the config through its control API.
 *
 * <p>Everything a lab owns lives under its run folder ({@code /run/vgw-lab/<prefix>}): gateway settings, logs, pid
 * files, control sockets, the compiled decap program. {@link #down} stops what the pid files name (after checking
 * that the process is still this lab's), removes the namespaces and the folder; it is safe to run on a half-built
 * lab, and {@link #up} runs it on any failure.
 */
public final class Lab {
    public static final Path RUN = Path.of("/run/vgw-lab");
    /** Debian packages per tool the lab needs. */
    private static final String[][] TOOLS = {
            {"ip", "iproute2"}, {"tc", "iproute2"}, {"ethtool", "ethtool"}, {"clang", "clang"}, {"sysctl", "procps"}};

    private final LabPlan plan;
    private final Path configDir;
    private final Path dir;
    private final List<String> vgw;
    private final Consumer<String> progress;

    /**
     * @param vgw      the command that runs vgw (java, its options, the main class), to start gateways and servers
     * @param progress receives one line per step, for people watching
     */
    public Lab(String prefix, Path configDir, List<String> vgw, Consumer<String> progress) {
        ConfigLoader.Result loaded = ConfigLoader.load(configDir);
        if (!loaded.ok()) {
            throw new LabException(configDir + " is not valid; run `vgw validate " + configDir + "`:\n"
                    + String.join("\n", loaded.problems().stream().map(Object::toString).toList()));
        }
        this.plan = LabPlan.of(prefix, loaded.config());
        this.configDir = configDir;
        this.dir = RUN.resolve(prefix);
        this.vgw = List.copyOf(vgw);
        this.progress = progress;
    }

    public LabPlan plan() {
        return plan;
    }

    public Path dir() {
        return dir;
    }

    public Path socket(LabPlan.Node node) {
        return dir.resolve(node.name() + ".sock");
    }

    /** Refuses politely when the lab cannot run here: not root, or a tool missing. */
    public static void checkPrerequisites() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new LabException("the lab creates network namespaces and needs root: run it with sudo");
        }
        for (String[] tool : TOOLS) {
            if (Netns.tryRun("sh", "-c", "command -v " + tool[0]).code() != 0) {
                throw new LabException(tool[0] + " is missing: apt-get install " + tool[1]);
            }
        }
        if (!Files.exists(Path.of("/usr/include/bpf/bpf_helpers.h"))) {
            throw new LabException("libbpf headers are missing: apt-get install libbpf-dev");
        }
    }

    public boolean exists() {
        return Netns.list().contains(plan.router()) || Files.exists(dir);
    }

    /** Builds the lab and starts everything; on any failure removes what it made and rethrows. */
    public void up() {
        checkPrerequisites();
        if (exists()) throw new LabException("lab '" + plan.prefix() + "' exists already; `vgw lab down --prefix "
                + plan.prefix() + "` first");
        try {
            Files.createDirectories(dir);
            progress.accept("compiling the real servers' IPIP decap program (tc BPF)");
            Path decap = compileDecap();
            progress.accept("creating " + plan.namespaces().size() + " namespaces: client, router, "
                    + plan.nodes().size() + " LB nodes, " + plan.servers().size() + " real servers");
            Topology.create(plan, decap);
            for (LabPlan.Server s : plan.servers()) {
                progress.accept("starting real server " + s.name() + " (" + Ipv4.format(s.address()) + ")");
                start(s.namespace(), s.name(), List.of("lab", "serve", "--name", s.name()));
            }
            for (LabPlan.Node n : plan.nodes()) {
                progress.accept("starting gateway " + n.name() + " on " + n.namespace() + ":" + n.iface());
                Path settings = dir.resolve(n.name() + ".yaml");
                Files.writeString(settings, gatewaySettings(n));
                start(n.namespace(), n.name(), List.of("gateway", "--config", settings.toString()));
            }
            List<SourceFile> files = ConfigLoader.readDirectory(configDir);
            for (LabPlan.Node n : plan.nodes()) {
                applyWhenReady(n, files);
            }
            progress.accept("lab '" + plan.prefix() + "' is up");
        } catch (RuntimeException | IOException e) {
            progress.accept("failed, removing what was made: " + e.getMessage());
            down();
            if (e instanceof IOException io) throw new UncheckedIOException(io);
            throw (RuntimeException) e;
        }
    }

    private String gatewaySettings(LabPlan.Node n) {
        return """
                # written by vgw lab up: gateway %s in namespace %s
                gateway: %s
                address: %s
                eal: {memory_mb: 256, log_level: error, args: ["--file-prefix=%s-%s"]}
                port: {device: "net_af_packet0,iface=%s", next_hop: kernel}
                conn_table: {entries: 65536}
                control: {socket: %s}
                """.formatted(n.name(), n.namespace(), n.name(), Ipv4.format(n.address()), plan.prefix(), n.name(),
                n.iface(), socket(n));
    }

    /** Waits for a gateway's control socket, then gives it the config; fails with its log's tail if it died. */
    private void applyWhenReady(LabPlan.Node n, List<SourceFile> files) {
        Path socket = socket(n);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(socket)) {
            if (!alive(n.name())) throw new LabException("gateway " + n.name() + " exited: " + logTail(n.name()));
            if (System.nanoTime() > deadline) throw new LabException("gateway " + n.name() + " did not open " + socket);
            waitABit();
        }
        try (ControlClient client = new ControlClient(socket)) {
            var result = client.apply("lab:" + configDir, files);
            if (!result.applied()) {
                throw new LabException("gateway " + n.name() + " refused the config: " + result.invalid() + result.refused());
            }
            progress.accept("gateway " + n.name() + " applied " + configDir + " (generation " + result.generation() + ")");
        } catch (ControlClient.ControlException e) {
            throw new LabException("gateway " + n.name() + ": " + e.getMessage());
        }
    }

    /** Starts a vgw subcommand in a namespace, detached from us, logging to NAME.log, its pid in NAME.pid. */
    private void start(String namespace, String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        command.addAll(vgw);
        command.addAll(args);
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        Files.writeString(dir.resolve(name + ".pid"), Long.toString(p.pid()));
    }

    private boolean alive(String name) {
        return pid(name).flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
    }

    private Optional<Long> pid(String name) {
        try {
            Path file = dir.resolve(name + ".pid");
            return Files.exists(file) ? Optional.of(Long.parseLong(Files.readString(file).strip())) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private String logTail(String name) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve(name + ".log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Stops this lab's processes, removes its namespaces and run folder. Idempotent. */
    public void down() {
        List<ProcessHandle> stopping = new ArrayList<>();
        for (var process : processes().entrySet()) {
            pid(process.getKey()).flatMap(ProcessHandle::of).filter(p -> inNamespace(p, process.getValue())).ifPresent(p -> {
                p.destroy();
                stopping.add(p);
            });
        }
        for (ProcessHandle p : stopping) {
            try {
                p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        Topology.destroy(plan);
        deleteRecursively(dir);
    }

    /** Name → namespace of every process the lab starts. */
    private java.util.Map<String, String> processes() {
        java.util.Map<String, String> all = new java.util.LinkedHashMap<>();
        plan.nodes().forEach(n -> all.put(n.name(), n.namespace()));
        plan.servers().forEach(s -> all.put(s.name(), s.namespace()));
        return all;
    }

    /** The lab's processes still running (none after {@link #down}). */
    public List<ProcessHandle> running() {
        List<ProcessHandle> alive = new ArrayList<>();
        for (var process : processes().entrySet()) {
            pid(process.getKey()).flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive).ifPresent(alive::add);
        }
        return alive;
    }

    /**
     * Is this pid still the process the lab started, not a reused pid? It is if it lives in the lab's namespace:
     * /proc/PID/ns/net names the same namespace (inode) as the namespace's file.
     */
    private static boolean inNamespace(ProcessHandle p, String namespace) {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/ns/net")).toString();
            Object inode = Files.getAttribute(Path.of("/var/run/netns/" + namespace), "unix:ino");
            return link.equals("net:[" + inode + "]");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The router sends a VIP to every LB node (ECMP, the lab's normal state). */
    public void routeToAllNodes(int vip) {
        Topology.route(plan, vip);
    }

    /** The router sends a VIP to one LB node only (move flows between nodes). */
    public void routeToNode(int vip, LabPlan.Node node) {
        Topology.routeVia(plan, vip, node);
    }

    /** The router sends a VIP straight to one real server, no load balancer: the kernel-forwarding baseline. */
    public void routeToServer(int vip, LabPlan.Server server) {
        Netns.run("ip", "-n", plan.router(), "route", "replace", Ipv4.format(vip) + "/32", "via",
                Ipv4.format(server.address()), "dev", "br0");
    }

    /** An interface statistic (e.g. rx_bytes) inside a namespace. */
    public static long interfaceCounter(String namespace, String iface, String statistic) {
        return Long.parseLong(Netns.exec(namespace, "cat", "/sys/class/net/" + iface + "/statistics/" + statistic).strip());
    }

    /** Status of every gateway of the lab, as their control APIs answer (null for one that does not answer). */
    public List<JsonNode> gatewayStatus() {
        List<JsonNode> all = new ArrayList<>();
        for (LabPlan.Node n : plan.nodes()) {
            try (ControlClient client = new ControlClient(socket(n))) {
                all.add(client.status());
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
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
