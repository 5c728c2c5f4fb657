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
        try (LabEndToEndTest.Streams streams = new LabEndToEndTest.Streams(lab, 50, ECHO)) {
            streams.awaitRoundTrips(10);
            List<String> logged = appliedLines();
            List<Duration> webhook = reweights(repo, 20, 0, Duration.ofSeconds(30));
            printSteps(newer(appliedLines(), logged));
            logged = appliedLines();
            streams.awaitRoundTrips(10);
            repo.hook(false);
            List<Duration> polling;
            try {
                polling = reweights(repo, 20, 20, Lab.POLL.multipliedBy(3));
                printSteps(newer(appliedLines(), logged));
            } finally {
                repo.hook(true);
            }
            streams.awaitRoundTrips(10);
            assertEquals(Map.of(), streams.failures(), "no stream reset or stalled across 40 reweights");
        }
        var config = ConfigLoader.load(repo.clone());
        assertTrue(config.ok(), config.problems()::toString);
        LabEndToEndTest.assertSpreadFollows(config.config().service("echo").orElseThrow(), LabEndToEndTest.connect(lab, 400));
    }

    /** The reconcilers' "applied ... in 812.3 ms: queued 0.1, live 3.2, fetch 20.5, ..." log lines, both nodes. */
    static List<String> appliedLines() throws IOException {
        List<String> lines = new ArrayList<>();
        for (var n : lab.plan().nodes()) {
            for (String line : java.nio.file.Files.readAllLines(lab.log(Lab.reconciler(n)))) {
                if (line.contains("Reconciler - applied ") && line.contains(" ms: queued ")) lines.add(line);
            }
        }
        return lines;
    }

    static List<String> newer(List<String> lines, List<String> before) {
        var seen = new java.util.HashSet<>(before);
        return lines.stream().filter(l -> !seen.contains(l)).toList();
    }

    /** Where the time goes: the median of each reconcile step over these attempts (both nodes). */
    static void printSteps(List<String> lines) {
        Map<String, List<Double>> steps = new java.util.LinkedHashMap<>();
        for (String line : lines) {
            String timings = line.substring(line.lastIndexOf(") in ") + 5);
            steps.computeIfAbsent("total", k -> new ArrayList<>()).add(Double.parseDouble(timings.substring(0, timings.indexOf(" ms"))));
            for (String part : timings.substring(timings.indexOf(": ") + 2).split(", ")) {
                String[] kv = part.split(" ");
                steps.computeIfAbsent(kv[0], k -> new ArrayList<>()).add(Double.parseDouble(kv[1]));
            }
        }
        StringBuilder b = new StringBuilder("  median ms per step over " + lines.size() + " applies:");
        steps.forEach((step, ms) -> {
            List<Double> sorted = ms.stream().sorted().toList();
            b.append(String.format(Locale.ROOT, " %s %.1f", step, sorted.get(sorted.size() / 2)));
        });
        System.out.println(b);
    }

    /** n commits, each a small reweight of echo's rs11; push -> applied on both nodes (the later of the two) for each. */
    static List<Duration> reweights(LabRepo repo, int n, int offset, Duration timeout) throws IOException {
        List<Duration> took = new ArrayList<>();
        List<Long> pushes = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String text = repo.read("services/echo.yaml");
            repo.write("services/echo.yaml", text.replaceFirst("203\\.0\\.113\\.11, weight: \\d+}", "203.0.113.11, weight: " + (100 + offset + i) + "}"));
            LabRepo.Pushed pushed = repo.commitAndPush("echo: rs11 weight " + (100 + offset + i));
            pushes.add(pushed.returnedAtNanos() - pushed.pushedAtNanos());
            took.add(lab.awaitApplied(pushed.commit(), pushed.pushedAtNanos(), timeout).stream().max(Duration::compareTo).orElseThrow());
        }
        List<Duration> sorted = took.stream().sorted().toList();
        System.out.printf(Locale.ROOT, "push -> applied on both nodes, %d commits, %s: median %.3f s, worst %.3f s%n", n,
                offset == 0 ? "webhook" : "polling only (every " + Lab.POLL.toSeconds() + " s)",
                (sorted.get(n / 2 - 1).toNanos() + sorted.get(n / 2).toNanos()) / 2e9, sorted.getLast().toNanos() / 1e9);
        List<Long> push = pushes.stream().sorted().toList();
        System.out.printf(Locale.ROOT, "  of which `git push` itself (its post-receive hook included): median %.3f s, worst %.3f s%n",
                push.get(n / 2) / 1e9, push.getLast() / 1e9);
        return took;
    }
}
