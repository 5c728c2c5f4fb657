package io.vgw.cli;

import io.vgw.config.Config;
import io.vgw.config.Ipv4;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import io.vgw.lab.Lab;
import io.vgw.lab.LabClient;
import io.vgw.lab.LabPlan;
import io.vgw.lab.LabRepo;
import io.vgw.lab.Netns;
import io.vgw.plan.PlanText;
import io.vgw.plan.Planner;
import io.vgw.reconciler.apply.ControlClient;
import io.vgw.reconciler.server.ReconcilerClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The Git half of {@code vgw lab demo} and {@code vgw lab commit}: a commit that changes a pool (with its plan, as a
 * pull request shows it) reaches both nodes and the traffic follows; a bad commit is refused with its file:line
 * problem while the traffic goes on untouched.
 */
final class LabGitDemo {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private LabGitDemo() {}

    /** @return false when something did not happen as it should */
    static boolean run(PrintWriter out, Lab lab, ServiceConfig target, int port, int requests) throws Exception {
        LabRepo repo = lab.repo();
        out.printf("%nThe config lives in Git: %s (branch main). Each LB node runs `vgw reconcile` following it;%n"
                + "a push hook pings their webhooks, and they poll every %d s.%n", repo.bare(), Lab.POLL.toSeconds());
        Edit edit = Edit.of(repo, target);
        if (edit == null) {
            out.println("(the demo changes a weight written as {address: A, weight: N}; " + target.name() + " has none)");
            return true;
        }
        Config before = load(repo);
        int weight = Math.min(65535, edit.weight() * 3);
        repo.write(edit.file(), edit.with(weight));
        Config after = load(repo);
        out.printf("%n1. A commit that gives %s weight %d instead of %d; its plan, as the pull request showed it:%n%n",
                edit.address(), weight, edit.weight());
        out.print(PlanText.render(Planner.plan(before, after), false));
        if (!pushAndShow(out, lab, target.name() + ": " + edit.address() + " weight " + edit.weight() + " -> " + weight)) {
            return false;
        }
        ServiceConfig reweighted = after.service(target.name()).orElseThrow();
        out.printf("%n2. Traffic follows the new weights (%d new connections):%n", requests);
        Map<String, Integer> spread = Netns.call(lab.plan().client(), () -> LabClient.spread(reweighted.vip(), port, requests, () -> {}));
        LabCommand.Demo.printSpread(out, reweighted, spread);

        out.printf("%n3. A bad commit (weight 70000, above the schema's 65535):%n");
        repo.write(edit.file(), edit.with(70000));
        String live = lab.gatewayStatus().getFirst().path("revision").asString();
        boolean refused = !pushAndShow(out, lab, "a weight that is too big");
        boolean untouched = lab.gatewayStatus().stream().allMatch(s -> s != null && live.equals(s.path("revision").asString()));
        Map<String, Integer> still = Netns.call(lab.plan().client(), () -> LabClient.spread(reweighted.vip(), port, 200, () -> {}));
        boolean answered = still.keySet().stream().allMatch(k -> k.startsWith("rs"));
        out.printf("the gateways still run %s; 200 new connections: %s%n", abbreviate(live),
                answered ? "all answered, by " + still : "FAILED " + still);

        out.printf("%n4. Reverting it with a new commit (the bad one is never retried):%n");
        repo.write(edit.file(), edit.with(weight));
        boolean reverted = pushAndShow(out, lab, "revert the too-big weight");
        return refused && untouched && answered && reverted;
    }

    /**
     * Commits what is in the clone, pushes, then shows each node applying it (push -> applied time) or refusing it
     * (its reconciler's problems).
     *
     * @return true when every node applied it
     */
    static boolean pushAndShow(PrintWriter out, Lab lab, String message) throws IOException {
        LabRepo.Pushed pushed = lab.repo().commitAndPush(message);
        out.printf("pushed %s \"%s\"%n", abbreviate(pushed.commit()), message);
        out.flush();
        boolean all = true;
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (LabPlan.Node n : lab.plan().nodes()) {
            ReconcilerClient reconciler = new ReconcilerClient(lab.reconcilerSocket(n), Duration.ofSeconds(10));
            try (ControlClient gateway = new ControlClient(lab.socket(n), Duration.ofSeconds(10))) {
                while (true) {
                    var g = gateway.status();
                    if (pushed.commit().equals(g.revision())) {
                        out.printf(Locale.ROOT, "  %-4s applied it %.2f s after the push (generation %d)%n", n.name(),
                                (System.nanoTime() - pushed.pushedAtNanos()) / 1e9, g.generation());
                        break;
                    }
                    JsonNode error = reconciler.status().path("last_error");
                    if (pushed.commit().equals(error.path("revision").asString(""))) {
                        out.printf("  %-4s refused it at %s: %s%n", n.name(), error.path("step").asString(), error.path("message").asString());
                        for (JsonNode p : error.path("problems")) out.println("         " + p.asString());
                        all = false;
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        out.printf("  %-4s neither applied nor refused it within %d s; see %s%n", n.name(), WAIT.toSeconds(),
                                lab.log(Lab.reconciler(n)));
                        all = false;
                        break;
                    }
                    LockSupport.parkNanos(5_000_000);
                }
            }
            out.flush();
        }
        return all;
    }

    private static Config load(LabRepo repo) {
        ConfigLoader.Result r = ConfigLoader.load(repo.clone().toString(), ConfigLoader.readDirectory(repo.clone()));
        if (!r.ok()) throw new IllegalArgumentException("the lab's clone is not valid: " + r.problems());
        return r.config();
    }

    private static String abbreviate(String commit) {
        return commit.length() > 10 ? commit.substring(0, 10) : commit;
    }

    /** The line of the service's lightest (non-zero) server, written as {address: A, weight: N}, in its file. */
    private record Edit(String file, String text, String line, String address, int weight) {
        static Edit of(LabRepo repo, ServiceConfig service) throws IOException {
            RealServer lightest = service.servers().stream().filter(r -> r.weight() > 0)
                    .min(Comparator.comparingInt(RealServer::weight)).orElse(null);
            if (lightest == null) return null;
            String address = Ipv4.format(lightest.address());
            Pattern line = Pattern.compile(".*\\{address: " + Pattern.quote(address) + ", weight: (\\d+)}.*");
            for (SourceFile f : ConfigLoader.readDirectory(repo.clone())) {
                if (!f.text().contains("service: " + service.name() + "\n")) continue;
                for (String l : f.text().split("\n")) {
                    Matcher m = line.matcher(l);
                    if (m.matches()) return new Edit(f.path(), f.text(), l, address, Integer.parseInt(m.group(1)));
                }
            }
            return null;
        }

        String lineWith(int w) {
            return line.replace("weight: " + weight + "}", "weight: " + w + "}");
        }

        String with(int w) {
            return text.replace(line, lineWith(w));
        }
    }
}
