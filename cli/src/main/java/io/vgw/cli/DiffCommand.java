package io.vgw.cli;

import io.vgw.api.ConfigRequest;
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
        footer = {"", "Exit codes: 0 no change, 2 changes, 1 invalid input (the problems are printed), 3 an input cannot "
                + "be read (unknown revision, no such path or directory; the error is printed), 64 bad usage.",
                "--max-chars N keeps the text under N characters (a pull-request comment): a big plan becomes a "
                + "summary table, the details stay in --output json.", "",
                "Examples:",
                "  vgw diff examples/ /tmp/proposed/",
                "  vgw diff --repo . --from origin/main --to HEAD --path examples",
                "  vgw diff --live /run/vgw/lb1.sock examples/      # against what the gateway runs",
                "  vgw diff --repo . --from v1 --to v2 --output json | jq '.services[].flows.moved_share'"})
final class DiffCommand implements Callable<Integer> {
    static final class Revisions {
        @Option(names = "--repo", required = true, paramLabel = "PATH", description = "A Git repository (read without checkout).")
        Path repo;

        @Option(names = "--from", required = true, paramLabel = "REV", converter = RevisionConverter.class,
                description = "The revision as it is, e.g. origin/main.")
        String from;

        @Option(names = "--to", required = true, paramLabel = "REV", converter = RevisionConverter.class,
                description = "The revision as proposed, e.g. HEAD.")
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

    @Option(names = "--max-chars", paramLabel = "N",
            description = "Text output: at most about N characters; a longer plan is summarised (at least 2000).")
    Integer maxChars;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Exit code when a side cannot be read at all, apart from 1 (read, but invalid) so CI can tell them apart. */
    static final int UNREADABLE = 3;

    /** A revision as typed: bounded and printable (the control API's rule), so it can forge no log or comment line. */
    static final class RevisionConverter implements CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String problem = ConfigRequest.revisionProblem(value);
            if (problem != null) throw new CommandLine.TypeConversionException(problem);
            return value;
        }
    }

    private record Side(String label, List<SourceFile> files) {}

    @Override
    public Integer call() throws IOException {
        if (maxChars != null && maxChars < 2000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-chars must be at least 2000");
        }
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
            var memo = new ConfigLoader.Memo();
            ConfigLoader.Result b = ConfigLoader.load(after.label(), after.files(), memo);
            PrintWriter out = spec.commandLine().getOut();
            if (!b.ok()) {
                report(out, after.label(), b);
                out.flush();
                return 1;
            }
            LivePlan live = LivePlan.read(source.live, b.config(), memo);
            return print(out, output, Planner.plan(live.config(), b.config()), live.label(), after.label(), maxChars);
        }
        try {
            before = side(true);
            after = side(false);
        } catch (IOException | IllegalArgumentException | java.io.UncheckedIOException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            return UNREADABLE;
        }
        var memo = new ConfigLoader.Memo(); // the files both sides share are read once
        ConfigLoader.Result a = ConfigLoader.load(before.label(), before.files(), memo);
        ConfigLoader.Result b = ConfigLoader.load(after.label(), after.files(), memo);
        PrintWriter out = spec.commandLine().getOut();
        if (!a.ok() || !b.ok()) {
            report(out, before.label(), a, after.label(), b);
            out.flush();
            return 1;
        }
        return print(out, output, Planner.plan(a.config(), b.config()), before.label(), after.label(), maxChars);
    }

    private Side side(boolean before) throws IOException {
        if (source != null) {
            Revisions r = source.revisions;
            try (GitConfigSource git = GitConfigSource.open(r.repo)) {
                var snapshot = git.read(before ? r.from : r.to, r.path);
                return new Side(snapshot.label(), snapshot.files());
            }
        }
        Path directory = directories.get(before ? 0 : 1);
        return new Side(directory.toString(), ConfigLoader.readDirectory(directory));
    }

    /** Prints a plan as text or JSON; returns diff's exit code (2 when something changes, else 0). */
    static int print(PrintWriter out, Output output, Plan plan, String before, String after) {
        return print(out, output, plan, before, after, null);
    }

    /** As above, the text within {@code maxChars} when not null (a big plan becomes a summary table). */
    static int print(PrintWriter out, Output output, Plan plan, String before, String after, Integer maxChars) {
        if (output.json()) {
            out.print(PlanJson.render(plan));
        } else {
            String header = "Plan: " + before + " -> " + after + "\n\n";
            out.print(header);
            out.print(maxChars == null ? PlanText.render(plan, output.colour())
                    : PlanText.render(plan, output.colour(), maxChars - header.length()));
        }
        out.flush();
        return plan.changed() ? 2 : 0;
    }

    private void report(PrintWriter out, String label, ConfigLoader.Result result) {
        report(out, label, result, label, new ConfigLoader.Result(null, List.of()));
    }

    /** Both sides' problems: one JSON document, or text within --max-chars. */
    private void report(PrintWriter out, String labelA, ConfigLoader.Result a, String labelB, ConfigLoader.Result b) {
        if (output.json()) {
            List<Problem> all = new java.util.ArrayList<>(a.problems());
            all.addAll(b.problems());
            out.print(ValidateCommand.json(new ConfigLoader.Result(null, all)));
            return;
        }
        StringBuilder text = new StringBuilder();
        int shown = 0;
        int total = a.problems().size() + b.problems().size();
        for (var side : List.of(java.util.Map.entry(labelA, a), java.util.Map.entry(labelB, b))) {
            if (side.getValue().ok()) continue;
            text.append(side.getKey()).append(" is not valid:\n");
            for (Problem p : side.getValue().problems()) {
                String line = "  " + p + "\n";
                if (maxChars != null && text.length() + line.length() > maxChars - 200) break;
                text.append(line);
                shown++;
            }
        }
        if (shown < total) text.append("... and ").append(total - shown).append(" more problems (see --output json)\n");
        out.print(text);
    }
}
