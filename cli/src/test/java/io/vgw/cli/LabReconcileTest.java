package io.vgw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Ipv4;
import io.vgw.config.load.ConfigLoader;
import io.vgw.lab.Lab;
import io.vgw.lab.LabRepo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lab configured by Git (root, as CI runs): a bare repository with a push hook, a {@code vgw reconcile} beside
 * each gateway. Under 50 long-lived echo connections, reweight commits reach both nodes with no reset or stall; the
 * time from {@code git push} to "applied on both nodes" is measured for 20 commits with the webhook and 20 with
 * polling only, and printed (the figures belong in the notes, not in an assertion on a shared machine).
 */
class LabReconcileTest {
    static final int ECHO = Ipv4.parse("192.0.2.30");
    static String prefix;
    static Lab lab;

    @BeforeAll
    static void up() throws IOException {
        assertEquals("root", System.getProperty("user.name"),
                "the lab test creates network namespaces and needs root (CI runs as root): run the tests with sudo");
        Path config = LabEndToEndTest.copyOfExamples();
        prefix = "vr" + Long.toHexString(System.nanoTime() & 0xffffff);
        lab = Lab.up(prefix, config, LabCommand.self(), true, line -> System.out.println("lab: " + line));
    }

    @AfterAll
    static void down() {
        if (prefix != null && Lab.exists(prefix)) Lab.open(prefix, line -> {}).down();
    }

    @Test
    void reweightCommitsReachBothNodesUnderLiveConnectionsWithWebhookAndWithPolling() throws Exception {
        LabRepo repo = lab.repo();
        List<String> revisions = lab.gatewayStatus().stream().map(s -> s.path("revision").asString()).toList();
        assertEquals(List.of(repo.head(), repo.head()), revisions, "both nodes run the repository's head after up");
        Map<String, Double> missesBefore = midFlowMisses();
        Map<String, Integer> logsBefore = announcements(Map.of());
        Map<String, Long> bfdBefore = bfdDowns();
        // The router's routes, and each node's VIP addresses (a gateway announces a VIP as an address on its device):
        // a route lost while the node kept its address is the routing side's doing, not the gateway's.
        Map<String, String> monitored = new java.util.LinkedHashMap<>();
        monitored.put("router-routes", lab.plan().router() + " route");
        for (var n : lab.plan().nodes()) monitored.put(n.name() + "-addresses", n.namespace() + " address");
        List<Process> monitors = new ArrayList<>();
        for (var m : monitored.entrySet()) {
            String[] nsWhat = m.getValue().split(" ");
            monitors.add(new ProcessBuilder("ip", "-n", nsWhat[0], "-ts", "monitor", nsWhat[1])
                    .redirectErrorStream(true).redirectOutput(lab.log(m.getKey()).toFile()).start());
        }
        try (LabEndToEndTest.Streams streams = new LabEndToEndTest.Streams(lab, 50, ECHO)) {
            streams.awaitRoundTrips(10);
            printSteps(reweights(repo, 20, 0, Duration.ofSeconds(30)), appliedLines());
            streams.awaitRoundTrips(10);
            repo.hook(false);
            try {
                printSteps(reweights(repo, 20, 20, Lab.POLL.multipliedBy(3)), appliedLines());
            } finally {
                repo.hook(true);
            }
            streams.awaitRoundTrips(10);
            // Whether vgw caused a reset: a flow the gateway no longer knew (a mid-flow miss), or the router moving the
            // VIP's flows between nodes (a route change), during the reweights.
            monitors.forEach(Process::destroy);
            List<String> changes = new ArrayList<>();
            for (String log : monitored.keySet()) {
                for (String l : java.nio.file.Files.readAllLines(lab.log(log))) {
                    if (l.contains(Ipv4.format(ECHO))) changes.add(log + " " + l.strip());
                }
            }
            Map<String, Double> misses = midFlowMisses();
            misses.replaceAll((node, n) -> n - missesBefore.getOrDefault(node, 0.0));
            System.out.printf(Locale.ROOT, "  streams failed %d of 50; mid-flow connection-table misses %s; route and node address changes for %s: %d%s%n",
                    streams.failures().size(), misses, Ipv4.format(ECHO), changes.size(),
                    changes.isEmpty() ? "" : "\n    " + String.join("\n    ", changes));
            announcements(logsBefore);
            Map<String, Long> bfd = bfdDowns();
            bfd.replaceAll((peer, n) -> n - bfdBefore.getOrDefault(peer, 0L));
            System.out.println("  the router's BFD sessions that went down, per LB node address: " + bfd
                    + " (a node taken down by BFD loses its OSPF routes: the router moves its flows to the other node)");
            assertEquals(Map.of(), streams.failures(), "no stream reset or stalled across 40 reweights");
        } finally {
            monitors.forEach(Process::destroyForcibly);
        }
        var config = ConfigLoader.load(repo.clone());
        assertTrue(config.ok(), config.problems()::toString);
        LabEndToEndTest.assertSpreadFollows(config.config().service("echo").orElseThrow(), LabEndToEndTest.connect(lab, 400));
    }

    /**
     * What the gateways said about announcements and health since the line counts in {@code before} (printed when
     * there is any): a VIP withdrawn by a node (a stall, a health verdict) moves its flows to the other node.
     * @return each gateway log's line count now
     */
    static Map<String, Integer> announcements(Map<String, Integer> before) throws IOException {
        Map<String, Integer> counts = new java.util.LinkedHashMap<>();
        for (var n : lab.plan().nodes()) {
            List<String> lines = java.nio.file.Files.readAllLines(lab.log(n.name()));
            counts.put(n.name(), lines.size());
            List<String> since = lines.subList(Math.min(lines.size(), before.getOrDefault(n.name(), lines.size())), lines.size());
            since.stream().filter(l -> l.contains("Announcer") || l.contains("WARN"))
                    .limit(20).forEach(l -> System.out.println("    " + n.name() + ": " + l));
            long verdicts = since.stream().filter(l -> l.contains("HealthChecker")).count();
            if (verdicts > 0) System.out.println("    " + n.name() + ": " + verdicts + " health verdicts changed (see " + lab.log(n.name()) + ")");
        }
        return counts;
    }

    /** The router's BFD session-down events per peer (the LB nodes). */
    static Map<String, Long> bfdDowns() {
        Map<String, Long> downs = new java.util.TreeMap<>();
        for (var peer : io.vgw.frr.Vtysh.at(lab.frrDir("router")).show("show bfd peers counters json")) {
            downs.put(peer.path("peer").asString(), peer.path("session-down").asLong());
        }
        return downs;
    }

    /** Each gateway's vgw_conn_misses_total{kind="mid"}: packets of a flow the connection table did not know. */
    static Map<String, Double> midFlowMisses() throws Exception {
        Map<String, Double> misses = new java.util.LinkedHashMap<>();
        for (var n : lab.plan().nodes()) misses.put(n.name(), Lab.metric(n, "vgw_conn_misses_total{kind=\"mid\"}").orElse(0));
        return misses;
    }

    /**
     * The reconcilers' "applied 5f0c2e91a4: ... (generation 6; webhook at 2026-...Z) in 812.3 ms: queued 0.1, live 3.2,
     * fetch 20.5, ..." log lines, per node (in the lab's node order).
     */
    static List<List<String>> appliedLines() throws IOException {
        List<List<String>> nodes = new ArrayList<>();
        for (var n : lab.plan().nodes()) {
            List<String> lines = new ArrayList<>();
            for (String line : java.nio.file.Files.readAllLines(lab.log(Lab.reconciler(n)))) {
                if (line.contains("Reconciler - applied ") && line.contains(" ms: queued ")) lines.add(line);
            }
            nodes.add(lines);
        }
        return nodes;
    }

    /** One reconcile as its log line tells it: asked at (wall clock), total ms and ms per step, in order. */
    record Reconcile(String revision, String trigger, Instant asked, double totalMs, Map<String, Double> steps) {
        static Reconcile parse(String line) {
            String rest = line.substring(line.indexOf("Reconciler - applied ") + 21);
            String timings = rest.substring(rest.lastIndexOf(") in ") + 5);
            String[] triggerAt = rest.substring(rest.lastIndexOf("; ") + 2, rest.lastIndexOf(") in ")).split(" at ");
            Map<String, Double> steps = new java.util.LinkedHashMap<>();
            for (String part : timings.substring(timings.indexOf(": ") + 2).split(", ")) {
                String[] kv = part.split(" ");
                steps.put(kv[0], Double.parseDouble(kv[1]));
            }
            return new Reconcile(rest.substring(0, rest.indexOf(':')), triggerAt[0], Instant.parse(triggerAt[1]),
                    Double.parseDouble(timings.substring(0, timings.indexOf(" ms"))), steps);
        }

        /** Milliseconds from being asked to the end of {@code step} (apply: from then on the gateway runs the commit). */
        double untilMs(String step) {
            double ms = 0;
            for (var e : steps.entrySet()) {
                ms += e.getValue();
                if (e.getKey().equals(step)) break;
            }
            return ms;
        }
    }

    /** A pushed commit: when its push started (wall clock), how long it took, and push -> seen applied per node. */
    record Measured(int number, String commit, Instant pushed, Duration push, List<Duration> seen) {
        Duration both() {
            return seen.stream().max(Duration::compareTo).orElseThrow();
        }
    }

    /**
     * Where the time goes: the median of each reconcile step over these commits (both nodes), then the slowest
     * commits' time lines per node: push, the reconciler asked (webhook or poll), its steps, live, seen by the test.
     */
    static void printSteps(List<Measured> commits, List<List<String>> lines) {
        List<Map<String, Reconcile>> nodes = lines.stream().map(node -> {
            Map<String, Reconcile> byRevision = new java.util.HashMap<>();
            for (String line : node) {
                Reconcile r = Reconcile.parse(line);
                byRevision.put(r.revision(), r);
            }
            return byRevision;
        }).toList();
        Map<String, List<Double>> steps = new java.util.LinkedHashMap<>();
        for (Measured m : commits) {
            for (var node : nodes) {
                Reconcile r = node.get(m.commit().substring(0, 10));
                if (r == null) continue;
                steps.computeIfAbsent("total", k -> new ArrayList<>()).add(r.totalMs());
                r.steps().forEach((step, ms) -> steps.computeIfAbsent(step, k -> new ArrayList<>()).add(ms));
            }
        }
        StringBuilder b = new StringBuilder("  median ms per step over " + steps.getOrDefault("total", List.of()).size() + " applies:");
        steps.forEach((step, ms) -> b.append(String.format(Locale.ROOT, " %s %.1f", step, median(ms))));
        System.out.println(b);
        // Where a typical commit's time goes, from its push's start: each median over the commits and both nodes.
        Map<String, List<Double>> line = new java.util.LinkedHashMap<>();
        for (String point : List.of("push returned", "asked", "fetched", "live", "seen")) line.put(point, new ArrayList<>());
        for (Measured m : commits) {
            for (int i = 0; i < nodes.size(); i++) {
                Reconcile r = nodes.get(i).get(m.commit().substring(0, 10));
                if (r == null) continue;
                double asked = Duration.between(m.pushed(), r.asked()).toNanos() / 1e9;
                line.get("push returned").add(m.push().toNanos() / 1e9);
                line.get("asked").add(asked);
                line.get("fetched").add(asked + r.untilMs("fetch") / 1e3);
                line.get("live").add(asked + r.untilMs("apply") / 1e3);
                line.get("seen").add(m.seen().get(i).toNanos() / 1e9);
            }
        }
        StringBuilder t = new StringBuilder("  median time line from the push's start (s):");
        line.forEach((point, s) -> t.append(String.format(Locale.ROOT, " %s +%.3f", point, median(s))));
        System.out.println(t);
        // Every commit's time line (bench/reconcile shows the slowest three; its log keeps them all), then the slowest.
        for (Measured m : commits) System.out.println(timeLine("  commit", m, commits.size(), nodes));
        List<Measured> slowest = commits.stream().sorted(java.util.Comparator.comparing(Measured::both).reversed()).limit(3).toList();
        for (Measured m : slowest) System.out.println(timeLine("  slow commit", m, commits.size(), nodes));
    }

    /** One commit's time line from its push's start: push, then per node when it was asked, each step, live, seen. */
    private static String timeLine(String label, Measured m, int of, List<Map<String, Reconcile>> nodes) {
        StringBuilder c = new StringBuilder(String.format(Locale.ROOT, "%s %d of %d (%s): %.3f s; push %.3f", label,
                m.number(), of, m.commit().substring(0, 10), m.both().toNanos() / 1e9, m.push().toNanos() / 1e9));
        for (int i = 0; i < nodes.size(); i++) {
            Reconcile r = nodes.get(i).get(m.commit().substring(0, 10));
            c.append(" | ").append(lab.plan().nodes().get(i).name()).append(": ");
            if (r == null) {
                c.append("no applied line");
            } else {
                double asked = Duration.between(m.pushed(), r.asked()).toNanos() / 1e9;
                c.append(String.format(Locale.ROOT, "%s at +%.3f,", r.trigger(), asked));
                r.steps().forEach((step, ms) -> {
                    if (ms >= 1) c.append(String.format(Locale.ROOT, " %s %.0f", step, ms));
                });
                c.append(String.format(Locale.ROOT, ", live at +%.3f", asked + r.untilMs("apply") / 1e3));
            }
            c.append(String.format(Locale.ROOT, ", seen at +%.3f", m.seen().get(i).toNanos() / 1e9));
        }
        return c.toString();
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2);
    }

    /** n commits, each a small reweight of echo's rs11; push -> applied on both nodes (the later of the two) for each. */
    static List<Measured> reweights(LabRepo repo, int n, int offset, Duration timeout) throws IOException {
        List<Measured> took = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String text = repo.read("services/echo.yaml");
            repo.write("services/echo.yaml", text.replaceFirst("203\\.0\\.113\\.11, weight: \\d+}", "203.0.113.11, weight: " + (100 + offset + i) + "}"));
            LabRepo.Pushed pushed = repo.commitAndPush("echo: rs11 weight " + (100 + offset + i));
            Instant pushedAt = Instant.now().minusNanos(System.nanoTime() - pushed.pushedAtNanos());
            List<Duration> seen = lab.awaitApplied(pushed.commit(), pushed.pushedAtNanos(), timeout);
            took.add(new Measured(i, pushed.commit(), pushedAt, Duration.ofNanos(pushed.returnedAtNanos() - pushed.pushedAtNanos()), seen));
        }
        List<Duration> sorted = took.stream().map(Measured::both).sorted().toList();
        System.out.printf(Locale.ROOT, "push -> applied on both nodes, %d commits, %s: median %.3f s, worst %.3f s%n", n,
                offset == 0 ? "webhook" : "polling only (every " + Lab.POLL.toSeconds() + " s)",
                (sorted.get(n / 2 - 1).toNanos() + sorted.get(n / 2).toNanos()) / 2e9, sorted.getLast().toNanos() / 1e9);
        List<Duration> push = took.stream().map(Measured::push).sorted().toList();
        System.out.printf(Locale.ROOT, "  of which `git push` itself (its post-receive hook included): median %.3f s, worst %.3f s%n",
                push.get(n / 2).toNanos() / 1e9, push.getLast().toNanos() / 1e9);
        return took;
    }
}
