package io.vgw.cli;

import io.vgw.config.Ipv4;
import io.vgw.config.ServiceConfig;
import io.vgw.config.load.ConfigLoader;
import io.vgw.lab.Lab;
import io.vgw.lab.LabClient;
import io.vgw.lab.LabPlan;
import io.vgw.lab.LabProcess;
import io.vgw.lab.LabServer;
import io.vgw.lab.Netns;
import io.vgw.maglev.ServiceTable;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "An LB cluster in network namespaces on this machine, built from a config: a client, a router "
                + "spreading flows over the LB nodes by ECMP, one vgw gateway per node (AF_XDP, else AF_PACKET; metrics on "
                + "the node's address), and a real server per server address (HTTP, TCP and UDP echo, IPIP decapsulated "
                + "by a tc BPF program, answering the client directly). `up` records what it made in "
                + "/run/vgw-lab/PREFIX/lab.json; status, restart and down work from that record alone. Needs root.",
        subcommands = {LabCommand.Up.class, LabCommand.Down.class, LabCommand.Status.class, LabCommand.Restart.class,
                LabCommand.Demo.class, LabCommand.Commit.class, LabCommand.Serve.class},
        footer = {"", "Examples:",
                "  sudo vgw lab demo                 # up, 1000 requests, the spread and each node's status, down",
                "  sudo vgw lab up && sudo vgw lab status && sudo vgw lab down",
                "  sudo vgw lab up --port af_packet   # the gateways on AF_PACKET instead of AF_XDP",
                "  sudo vgw lab restart lb1          # after a fault test killed it",
                "  sudo vgw lab commit my-config/ -m 'web: reweight'   # push a config, see each node apply it",
                "  sudo ip netns exec vgwlab-client curl http://192.0.2.10/"})
final class LabCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Which lab: its name prefix. */
    static final class Prefix {
        @Option(names = "--prefix", paramLabel = "NAME", defaultValue = "vgwlab",
                description = "Prefix of the lab's namespaces and run folder (default: vgwlab).")
        String prefix;

        Lab open(PrintWriter out) {
            return Lab.open(prefix, progress(out));
        }
    }

    /** The config a new lab is built from. */
    static final class Config {
        @Option(names = "--config", paramLabel = "DIR", defaultValue = "examples",
                description = "The config the lab is built from and runs (default: examples). Gateways re-read it "
                        + "when they (re)start.")
        Path config;

        @Option(names = "--no-reconcile", description = "No Git repository and no reconcilers: the gateways run the "
                + "config folder and vgw apply changes it (by default a bare repository in the run folder, seeded "
                + "from the config, and a `vgw reconcile` beside each gateway, pinged by a push hook).")
        boolean noReconcile;

        @Option(names = "--port", paramLabel = "KIND", defaultValue = Lab.PORT_AUTO,
                description = "The gateways' port: auto (default: AF_XDP with vgw's XDP program where the kernel allows, "
                        + "else AF_PACKET; `vgw lab status` says which), af_xdp or af_packet.")
        String port;
    }

    static Consumer<String> progress(PrintWriter out) {
        return line -> {
            out.println("  " + line);
            out.flush();
        };
    }

    /**
     * How to run this very vgw again (same JVM, same class path), for the lab's gateways, reconcilers and servers;
     * the lab adds each program's collector as ./vgw chooses it ({@link Lab#jvm}).
     */
    static List<String> self() {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), Main.class.getName());
    }

    @Command(name = "up", mixinStandardHelpOptions = true, description = "Build the lab and start it.",
            footer = {"", "Exit codes: 0 up, 1 not built (the reason is printed; nothing is left behind).", "",
                    "Examples:", "  sudo vgw lab up", "  sudo vgw lab up --config my-config/ --prefix mine"})
    static final class Up implements Callable<Integer> {
        @Mixin
        Prefix which;

        @Mixin
        Config config;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Lab lab = Lab.up(which.prefix, config.config, self(), !config.noReconcile, config.port, progress(out));
            String option = which.prefix.equals("vgwlab") ? "" : " --prefix " + which.prefix;
            if (lab.reconciles()) {
                out.println("change the config with Git: cd " + lab.repo().clone() + ", edit, git commit -a, git push "
                        + "(or: vgw lab commit" + option + " DIR); each node applies the push within a second");
            }
            out.println("try: sudo ip netns exec " + which.prefix + "-client curl http://192.0.2.10/   "
                    + "(vgw lab status" + option + ", vgw lab restart NAME" + option + ", vgw lab down" + option + ")");
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop the lab's gateways and servers, remove its namespaces, DPDK run folders and run "
                    + "folder: exactly what `up` recorded, whatever the config says now.",
            footer = {"", "Exit codes: 0 down, 1 no such lab (the labs that exist are named) or something would not "
                    + "go (it is named, and the record kept so a second down can finish).", "",
                    "Examples:", "  sudo vgw lab down", "  sudo vgw lab down --prefix mine"})
    static final class Down implements Callable<Integer> {
        @Mixin
        Prefix which;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Lab.checkPrerequisites();
            which.open(spec.commandLine().getOut()).down();
            spec.commandLine().getOut().println("lab '" + which.prefix + "' is down");
            return 0;
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true,
            description = "Stop one of the lab's programs (a gateway or a real server) and start it again as `up` "
                    + "did, then wait until it serves: repairs what a fault test broke. A gateway re-applies the "
                    + "lab's config folder as it is now.",
            footer = {"", "Exit codes: 0 restarted and serving, 1 no such lab or program, or it did not come back "
                    + "(its log's tail is printed).", "",
                    "Examples:", "  sudo vgw lab restart lb1", "  sudo vgw lab restart rs12 --prefix mine"})
    static final class Restart implements Callable<Integer> {
        @Mixin
        Prefix which;

        @Parameters(paramLabel = "NAME", description = "The program: an LB node's name (its gateway) or a real server (rs11).")
        String name;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Lab.checkPrerequisites();
            PrintWriter out = spec.commandLine().getOut();
            Lab lab = which.open(out);
            LabProcess p = lab.restart(name);
            out.println(name + " restarted in " + p.namespace() + " (pid " + p.pid() + ")");
            for (int i = 0; i < lab.plan().nodes().size(); i++) {
                if (lab.plan().nodes().get(i).name().equals(name)) {
                    JsonNode s = lab.gatewayStatus().get(i);
                    out.println(s == null ? "its control API does not answer yet; see " + lab.log(name)
                            : "it runs revision " + s.path("revision").asString() + " (generation " + s.path("generation").asLong() + ")");
                }
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Each LB node's gateway (revision, generation, packets, connections, drops, metrics "
                    + "address), the router's next hops per VIP (the nodes announcing it by OSPF) and each program "
                    + "the lab runs.",
            footer = {"", "Exit codes: 0 every gateway answers and every program runs, 1 otherwise or no such lab.", "",
                    "Examples:", "  sudo vgw lab status", "  sudo vgw lab status --output json"})
    static final class Status implements Callable<Integer> {
        @Mixin
        Prefix which;

        @Mixin
        Output output;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Lab lab = which.open(out);
            List<JsonNode> status = lab.gatewayStatus();
            boolean allRunning = lab.record().processes().stream().allMatch(LabProcess::running);
            if (output.json()) {
                JsonMapper json = JsonMapper.shared();
                ObjectNode root = json.createObjectNode().put("prefix", lab.plan().prefix()).put("config", lab.record().config());
                ArrayNode nodes = root.putArray("nodes");
                for (int i = 0; i < status.size(); i++) {
                    LabPlan.Node n = lab.plan().nodes().get(i);
                    ObjectNode node = nodes.addObject().put("name", n.name()).put("namespace", n.namespace())
                            .put("metrics", "http://" + Lab.metrics(n) + "/metrics");
                    node.set("status", status.get(i) == null ? json.nullNode() : status.get(i));
                }
                ObjectNode routes = root.putObject("router_next_hops");
                lab.routerNextHops().forEach((vip, hops) -> {
                    ArrayNode list = routes.putArray(Ipv4.format(vip));
                    hops.forEach(list::add);
                });
                ArrayNode programs = root.putArray("programs");
                for (LabProcess p : lab.record().processes()) {
                    programs.addObject().put("name", p.name()).put("namespace", p.namespace()).put("pid", p.pid())
                            .put("running", p.running()).put("log", lab.log(p.name()).toString());
                }
                out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            } else {
                printNodes(out, lab, status);
                printRoutes(out, lab);
                printPrograms(out, lab);
            }
            return status.contains(null) || !allRunning ? 1 : 0;
        }
    }

    static void printNodes(PrintWriter out, Lab lab, List<JsonNode> status) {
        out.printf("%-6s %-14s %-9s %5s %10s %10s %8s %9s %8s  %s%n", "node", "address", "port", "gen", "rx", "tx", "conns",
                "to kernel", "drops", "revision");
        Map<String, List<String>> revisions = new TreeMap<>();
        for (int i = 0; i < status.size(); i++) {
            var node = lab.plan().nodes().get(i);
            JsonNode s = status.get(i);
            if (s == null) {
                out.printf("%-6s %-14s not answering (see %s)%n", node.name(), Ipv4.format(node.address()), lab.log(node.name()));
                continue;
            }
            JsonNode c = s.path("counters");
            long drops = 0;
            for (var e : c.properties()) if (e.getKey().startsWith("drop_")) drops += e.getValue().asLong();
            String revision = s.path("revision").asString();
            revisions.computeIfAbsent(revision, r -> new ArrayList<>()).add(node.name());
            out.printf("%-6s %-14s %-9s %5d %10d %10d %8d %9d %8d  %s%n", node.name(), s.path("address").asString(),
                    s.path("port_kind").asString(), s.path("generation").asLong(), c.path("rx").asLong(), c.path("tx").asLong(),
                    s.path("connections").asLong(), c.path("pass").asLong(), drops, revision.isEmpty() ? "(none)" : revision);
        }
        for (int i = 0; i < status.size(); i++) {
            JsonNode s = status.get(i);
            if (s != null && s.hasNonNull("port_fallback")) {
                out.println(lab.plan().nodes().get(i).name() + ": " + s.path("port_fallback").asString());
            }
        }
        if (revisions.size() > 1) {
            out.println("the nodes run different revisions: " + revisions + " (vgw apply the same config to each)");
        }
        out.println("metrics (Prometheus, inside each node's namespace):");
        for (LabPlan.Node n : lab.plan().nodes()) {
            out.printf("  sudo ip netns exec %s curl -s http://%s/metrics%n", n.namespace(), Lab.metrics(n));
        }
    }

    /** The router's ECMP next hops per VIP (learned by OSPF from the nodes that announce it). */
    static void printRoutes(PrintWriter out, Lab lab) {
        out.println();
        out.println("router: next hops per VIP (OSPF; ECMP hashes flows on L4 ports over them)");
        lab.routerNextHops().forEach((vip, hops) -> out.printf("  %-15s %s%n", Ipv4.format(vip),
                hops.isEmpty() ? "no route: no node announces it" : String.join(", ", hops)));
    }

    static void printPrograms(PrintWriter out, Lab lab) {
        out.printf("%n%-10s %-18s %8s  %s%n", "program", "namespace", "pid", "state");
        for (LabProcess p : lab.record().processes()) {
            out.printf("%-10s %-18s %8d  %s%n", p.name(), p.namespace(), p.pid(), p.running() ? "running"
                    : "exited (log " + lab.log(p.name()) + "; sudo vgw lab restart " + p.name()
                    + (lab.plan().prefix().equals("vgwlab") ? "" : " --prefix " + lab.plan().prefix()) + ")");
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Show the lab working: bring it up (unless it is), send requests from the client to the web "
                    + "VIP, print which server answered against the weights, and each node's counters; then take "
                    + "the lab down (unless --keep).",
            footer = {"", "Examples:", "  sudo vgw lab demo", "  sudo vgw lab demo --requests 5000 --keep"})
    static final class Demo implements Callable<Integer> {
        @Mixin
        Prefix which;

        @Mixin
        Config config;

        @Option(names = "--requests", defaultValue = "1000", description = "HTTP requests to send (default 1000).")
        int requests;

        @Option(names = "--service", defaultValue = "web", description = "The service to send them to (default web).")
        String service;

        @Option(names = "--keep", description = "Leave the lab running afterwards.")
        boolean keep;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            ServiceConfig target = ConfigLoader.load(config.config).config().service(service).orElseThrow(() ->
                    new IllegalArgumentException("no service '" + service + "' in " + config.config));
            boolean started = !Lab.exists(which.prefix);
            if (started) out.println("bringing the lab up:");
            Lab lab = started ? Lab.up(which.prefix, config.config, self(), !config.noReconcile, config.port, progress(out)) : which.open(out);
            try {
                int port = target.port() == 0 ? 80 : target.port();
                out.printf("%nsending %d requests from the client (%s) to %s at %s:%d, a new connection each...%n",
                        requests, Ipv4.format(LabPlan.CLIENT), target.name(), Ipv4.format(target.vip()), port);
                AtomicInteger done = new AtomicInteger();
                Map<String, Integer> spread = Netns.call(lab.plan().client(), () -> LabClient.spread(target.vip(), port,
                        requests, () -> {
                            if (done.incrementAndGet() % 200 == 0) {
                                out.printf("  %d/%d%n", done.get(), requests);
                                out.flush();
                            }
                        }));
                printSpread(out, target, spread);
                out.printf("%nLB nodes (rx/tx: client->server packets only; replies go straight from server to client):%n");
                printNodes(out, lab, lab.gatewayStatus());
                printRoutes(out, lab);
                boolean failed = spread.keySet().stream().anyMatch(k -> k.startsWith("error"));
                if (lab.reconciles()) failed |= !LabGitDemo.run(out, lab, target, port, requests);
                return failed ? 1 : 0;
            } finally {
                if (started && !keep) {
                    out.println("\ntaking the lab down (--keep leaves it up)");
                    lab.down();
                }
            }
        }

        static void printSpread(PrintWriter out, ServiceConfig service, Map<String, Integer> spread) {
            ServiceTable table = ServiceTable.of(service);
            int total = spread.values().stream().mapToInt(Integer::intValue).sum();
            out.printf("%n%-16s %8s %8s %10s %8s%n", "answered by", "answers", "share", "expected", "weight");
            for (int i = 0; i < service.servers().size(); i++) {
                var server = service.servers().get(i);
                String name = "rs" + (server.address() & 0xff);
                int n = spread.getOrDefault(name, 0);
                out.printf(Locale.ROOT, "%-16s %8d %7.1f%% %9.1f%% %8d%n", name + " " + Ipv4.format(server.address()), n,
                        100.0 * n / total, 100.0 * table.share(i), server.weight());
            }
            spread.forEach((k, v) -> {
                if (k.startsWith("error")) out.printf("%-16s %8d   %s%n", "failed", v, k);
            });
        }
    }

    @Command(name = "commit", mixinStandardHelpOptions = true,
            description = "Commit a change to the lab's config repository and push it, then show each LB node applying "
                    + "it (with the time from the push) or refusing it (with its file:line problems). Without DIR, "
                    + "commits what you edited in the lab's clone (printed by `vgw lab up`).",
            footer = {"", "Exit codes: 0 applied on every node, 1 refused (the gateways keep what they run) or no such lab.",
                    "", "Examples:", "  cp -r examples my-config && $EDITOR my-config/services/web.yaml",
                    "  sudo vgw lab commit my-config/ -m 'web: more weight to rs13'",
                    "  sudo vgw lab commit -m 'my edit in the clone'"})
    static final class Commit implements Callable<Integer> {
        @Mixin
        Prefix which;

        @Parameters(paramLabel = "DIR", arity = "0..1", description = "A config directory to commit as the whole config.")
        Path directory;

        @Option(names = {"-m", "--message"}, defaultValue = "a change from vgw lab commit", description = "The commit message.")
        String message;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Lab lab = which.open(out);
            if (!lab.reconciles()) {
                throw new IllegalArgumentException("lab '" + which.prefix + "' runs without reconcilers (up --no-reconcile); use vgw apply");
            }
            if (directory != null) lab.repo().replaceWith(directory);
            return LabGitDemo.pushAndShow(out, lab, message) ? 0 : 1;
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, hidden = true,
            description = "A lab real server's programs (started by vgw lab up inside its namespace).",
            footer = {"", "Examples:", "  ip netns exec vgwlab-rs11 vgw lab serve --name rs11"})
    static final class Serve implements Callable<Integer> {
        @Option(names = "--name", required = true, description = "The name the server answers with.")
        String name;

        @Option(names = "--http", split = ",", defaultValue = "80,8080", description = "HTTP ports (default 80,8080).")
        List<Integer> http = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            CountDownLatch stop = new CountDownLatch(1);
            LabServer server = new LabServer(name, http.stream().mapToInt(Integer::intValue).toArray());
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            System.out.println(name + " serving HTTP on " + http + ", echo on tcp/udp " + LabServer.ECHO_PORT);
            try {
                stop.await();
            } finally {
                server.close();
            }
            return 0;
        }
    }
}
