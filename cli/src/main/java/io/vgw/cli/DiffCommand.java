package io.vgw.cli;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.config.load.SourceFile;
import io.vgw.plan.Plan;
import io.vgw.plan.PlanJson;
import io.vgw.plan.PlanText;
import io.vgw.plan.Planner;
import io.vgw.reconciler.git.GitConfigSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "Plan the change between two configs, like terraform plan: services, servers and weights, "
                + "health checks, announcements, and for each changed pool the share of flows that would move "
                + "to another server.",
        footer = {"", "Exit codes: 0 no change, 2 changes, 1 invalid input (the problems are printed).", "",
                "Examples:",
                "  vgw diff examples/ /tmp/proposed/",
                "  vgw diff --repo . --from origin/main --to HEAD --path examples",
                "  vgw diff --live /run/vgw/lb1.sock examples/      # against what the gateway runs",
                "  vgw diff --repo . --from v1 --to v2 --output json | jq '.services[].flows.moved_share'"})
final class DiffCommand implements Callable<Integer> {
    static final class Revisions {
        @Option(names = "--repo", required = true, paramLabel = "PATH", description = "A Git repository (read without checkout).")
        Path repo;

        @Option(names = "--from", required = true, paramLabel = "REV", description = "The revision as it is, e.g. origin/main.")
        String from;

        @Option(names = "--to", required = true, paramLabel = "REV", description = "The revision as proposed, e.g. HEAD.")
        String to;

        @Option(names = "--path", paramLabel = "DIR", defaultValue = "",
                description = "The config directory inside the repository (default: its root).")
        String path;
    }

    static final class Source {
        @Option(names = "--live", paramLabel = "SOCKET",
                description = "Plan DIR against what the gateway on this control socket runs (its live files).")
        Path live;

        @ArgGroup(exclusive = false, multiplicity = "0..1")
        Revisions revisions;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Source source;

    @Parameters(paramLabel = "DIR", arity = "0..2",
            description = "BEFORE AFTER: two config directories, as it is and as proposed; with --live, only AFTER.")
    List<Path> directories = List.of();

    @Mixin
    Output output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private record Side(String label, List<SourceFile> files) {}

    @Override
    public Integer call() throws IOException {
        Side before;
        Side after;
        int expected = source == null ? 2 : source.live != null ? 1 : 0;
        if (directories.size() != expected) {
            throw new CommandLine.ParameterException(spec.commandLine(), switch (expected) {
                case 2 -> "give two directories (BEFORE AFTER), --repo with --from and --to, or --live SOCKET DIR";
                case 1 -> "--live SOCKET takes one directory: the config as proposed";
                default -> "--repo reads both sides from Git: give no directory";
            });
        }
        if (source != null && source.live != null) {
            Path dir = directories.getFirst();
            after = new Side(dir.toString(), ConfigLoader.readDirectory(dir));
            ConfigLoader.Result b = ConfigLoader.load(after.label(), after.files());
            PrintWriter out = spec.commandLine().getOut();
            if (!b.ok()) {
                report(out, after.label(), b);
                out.flush();
                return 1;
            }
            LivePlan live = LivePlan.read(source.live, b.config());
            return print(out, output, Planner.plan(live.config(), b.config()), live.label(), after.label());
        }
        if (source != null) {
            Revisions r = source.revisions;
            try (GitConfigSource git = GitConfigSource.open(r.repo)) {
                var a = git.read(r.from, r.path);
                var b = git.read(r.to, r.path);
                before = new Side(a.label(), a.files());
                after = new Side(b.label(), b.files());
            }
        } else {
            before = new Side(directories.get(0).toString(), ConfigLoader.readDirectory(directories.get(0)));
            after = new Side(directories.get(1).toString(), ConfigLoader.readDirectory(directories.get(1)));
        }
        ConfigLoader.Result a = ConfigLoader.load(before.label(), before.files());
        ConfigLoader.Result b = ConfigLoader.load(after.label(), after.files());
        PrintWriter out = spec.commandLine().getOut();
        if (!a.ok() || !b.ok()) {
            report(out, before.label(), a);
            report(out, after.label(), b);
            out.flush();
            return 1;
        }
        return print(out, output, Planner.plan(a.config(), b.config()), before.label(), after.label());
    }

    /** Prints a plan as text or JSON; returns diff's exit code (2 when something changes, else 0). */
    static int print(PrintWriter out, Output output, Plan plan, String before, String after) {
        if (output.json()) {
            out.print(PlanJson.render(plan));
        } else {
            out.println("Plan: " + before + " -> " + after);
            out.println();
            out.print(PlanText.render(plan, output.colour()));
        }
        out.flush();
        return plan.changed() ? 2 : 0;
    }

    private void report(PrintWriter out, String label, ConfigLoader.Result result) {
        if (result.ok()) return;
        if (output.json()) {
            out.print(ValidateCommand.json(result));
            return;
        }
        out.println(label + " is not valid:");
        for (Problem p : result.problems()) out.println("  " + p);
    }
}
