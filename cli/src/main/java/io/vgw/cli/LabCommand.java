package io.vgw.cli;

import io.vgw.config.Ipv4;
import io.vgw.config.ServiceConfig;
import io.vgw.config.load.ConfigLoader;
import io.vgw.lab.Lab;
import io.vgw.lab.LabClient;
import io.vgw.lab.LabServer;
import io.vgw.lab.Netns;
import io.vgw.maglev.ServiceTable;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "An LB cluster in network namespaces on this machine, built from a config: a client, a router "
                + "spreading flows over the LB nodes by ECMP, one vgw gateway per node (AF_PACKET), and a real "
                + "server per server address (HTTP, TCP and UDP echo, IPIP decapsulated by a tc BPF program, "
                + "answering the client directly). Needs root.",
        subcommands = {LabCommand.Up.class, LabCommand.Down.class, LabCommand.Status.class, LabCommand.Demo.class,
                LabCommand.Serve.class},
        footer = {"", "Examples:",
                "  sudo vgw lab demo                 # up, 1000 requests, the spread and each node's status, down",
                "  sudo vgw lab up && sudo vgw lab status && sudo vgw lab down",
                "  sudo ip netns exec vgwlab-client curl http://192.0.2.10/"})
final class LabCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Which lab: its config and its name prefix. */
    static final class Which {
        @Option(names = "--config", paramLabel = "DIR", defaultValue = "examples",
                description = "The config the lab is built from and runs (default: examples).")
        Path config;

        @Option(names = "--prefix", paramLabel = "NAME", defaultValue = "vgwlab",
                description = "Prefix of the lab's namespaces and run folder (default: vgwlab).")
        String prefix;

        Lab lab(PrintWriter out) {
            return new Lab(prefix, config, self(), line -> {
                out.println("  " + line);
                out.flush();
            });
        }
    }

    /** How to run this very vgw again (same JVM, same class path), for the lab's gateways and servers. */
    static List<String> self() {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName());
    }

    @Command(name = "up", mixinStandardHelpOptions = true, description = "Build the lab and start it.",
            footer = {"", "Examples:", "  sudo vgw lab up", "  sudo vgw lab up --config my-config/ --prefix mine"})
    static final class Up implements Callable<Integer> {
        @Mixin
        Which which;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            which.lab(out).up();
            out.println("try: sudo ip netns exec " + which.prefix + "-client curl http://192.0.2.10/   "
                    + "(vgw lab status, vgw lab down)");
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop the lab's gateways and servers, remove its namespaces and run folder. Safe to repeat.",
            footer = {"", "Examples:", "  sudo vgw lab down", "  sudo vgw lab down --prefix mine"})
    static final class Down implements Callable<Integer> {
        @Mixin
        Which which;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Lab.checkPrerequisites();
            which.lab(spec.commandLine().getOut()).down();
            spec.commandLine().getOut().println("lab '" + which.prefix + "' is down");
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Each LB node's gateway: generation, packets, connections, drops.",
            footer = {"", "Examples:", "  sudo vgw lab status", "  sudo vgw lab status --output json"})
    static final class Status implements Callable<Integer> {
        @Mixin
        Which which;

        @Mixin
        Output output;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Lab lab = which.lab(out);
            if (!lab.exists()) {
                out.println("lab '" + which.prefix + "' is not up; start it with: sudo vgw lab up");
                return 1;
            }
            List<JsonNode> status = lab.gatewayStatus();
            if (output.json()) {
                var array = JsonMapper.shared().createArrayNode();
                status.forEach(s -> array.add(s == null ? JsonMapper.shared().nullNode() : s));
                out.println(JsonMapper.shared().writerWithDefaultPrettyPrinter().writeValueAsString(array));
            } else {
                printNodes(out, lab, status);
            }
            return status.contains(null) ? 1 : 0;
        }
    }

    static void printNodes(PrintWriter out, Lab lab, List<JsonNode> status) {
        out.printf("%-6s %-14s %5s %10s %10s %8s %9s %8s%n", "node", "address", "gen", "rx", "tx", "conns", "to kernel",
                "drops");
        for (int i = 0; i < status.size(); i++) {
            var node = lab.plan().nodes().get(i);
            JsonNode s = status.get(i);
            if (s == null) {
                out.printf("%-6s %-14s not answering (see %s)%n", node.name(), Ipv4.format(node.address()),
                        lab.dir().resolve(node.name() + ".log"));
                continue;
            }
            JsonNode c = s.path("counters");
            long drops = 0;
            for (var e : c.properties()) if (e.getKey().startsWith("drop_")) drops += e.getValue().asLong();
            out.printf("%-6s %-14s %5d %10d %10d %8d %9d %8d%n", node.name(), s.path("address").asString(),
                    s.path("generation").asLong(), c.path("rx").asLong(), c.path("tx").asLong(),
                    s.path("connections").asLong(), c.path("pass").asLong(), drops);
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Show the lab working: bring it up (unless it is), send requests from the client to the web "
                    + "VIP, print which server answered against the weights, and each node's counters; then take "
                    + "the lab down (unless --keep).",
            footer = {"", "Examples:", "  sudo vgw lab demo", "  sudo vgw lab demo --requests 5000 --keep"})
    static final class Demo implements Callable<Integer> {
        @Mixin
        Which which;

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
            ServiceConfig target = ConfigLoader.load(which.config).config().service(service).orElseThrow(() ->
                    new IllegalArgumentException("no service '" + service + "' in " + which.config));
            Lab lab = which.lab(out);
            boolean started = !lab.exists();
            if (started) {
                out.println("bringing the lab up:");
                lab.up();
            }
            try {
                int port = target.port() == 0 ? 80 : target.port();
                out.printf("%nsending %d requests from the client (%s) to %s at %s:%d, a new connection each...%n",
                        requests, Ipv4.format(io.vgw.lab.LabPlan.CLIENT), target.name(), Ipv4.format(target.vip()), port);
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
                return spread.keySet().stream().anyMatch(k -> k.startsWith("error")) ? 1 : 0;
            } finally {
                if (started && !keep) {
                    out.println("\ntaking the lab down (--keep leaves it up)");
                    lab.down();
                }
            }
        }

        private static void printSpread(PrintWriter out, ServiceConfig service, Map<String, Integer> spread) {
            ServiceTable table = ServiceTable.of(service);
            int[] entries = table.entries();
            int total = spread.values().stream().mapToInt(Integer::intValue).sum();
            out.printf("%n%-16s %8s %8s %10s %8s%n", "answered by", "answers", "share", "expected", "weight");
            for (int i = 0; i < service.servers().size(); i++) {
                var server = service.servers().get(i);
                String name = "rs" + (server.address() & 0xff);
                int n = spread.getOrDefault(name, 0);
                out.printf(Locale.ROOT, "%-16s %8d %7.1f%% %9.1f%% %8d%n", name + " " + Ipv4.format(server.address()), n,
                        100.0 * n / total, 100.0 * entries[i] / table.table().length, server.weight());
            }
            spread.forEach((k, v) -> {
                if (k.startsWith("error")) out.printf("%-16s %8d   %s%n", "failed", v, k);
            });
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
