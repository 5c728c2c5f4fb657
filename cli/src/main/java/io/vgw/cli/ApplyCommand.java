package io.vgw.cli;

import io.vgw.api.ApiJson;
import io.vgw.api.ApplyReply;
import io.vgw.api.ConfigRequest;
import io.vgw.api.RemovalGuard;
import io.vgw.config.ServiceConfig;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.config.load.SourceFile;
import io.vgw.plan.Planner;
import io.vgw.reconciler.apply.ControlClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "apply", mixinStandardHelpOptions = true,
        description = "Send a config directory to a running gateway as one atomic change. The gateway validates it, "
                + "then swaps its forwarding state, or answers the problems (file:line:column) and keeps the live "
                + "one. --dry-run shows the plan against what the gateway runs and sends nothing.",
        footer = {"", "Without --revision the gateway names the config by a hash of its files (sha256:...). The same "
                + "revision with the same files is answered \"unchanged\" and bumps nothing; a revision already "
                + "running with other files is refused (give changed content a new revision).",
                "A config that removes every service, or more than half of them, is refused unless --force is given "
                        + "(the gateway enforces it, for the reconciler too).",
                "Without --socket: the only socket in /run/vgw (gateways default to /run/vgw/<gateway>.sock).",
                "--output json prints the gateway's answer: {\"applied\", \"unchanged\", \"revision\", \"generation\", "
                        + "\"problems\", \"refused\"}; with --dry-run, the plan as vgw diff prints it.",
                "Exit codes: 0 applied (or, with --dry-run, no change), 1 invalid, refused, or no gateway to talk to, "
                        + "2 --dry-run found changes, 64 bad usage (e.g. a --revision with a line break).", "",
                "Examples:",
                "  vgw apply examples/",
                "  vgw apply --dry-run examples/                       # the plan against what runs; sends nothing",
                "  vgw apply --socket /run/vgw/lb1.sock --revision $(git rev-parse HEAD) config/",
                "  vgw apply --force config/                           # even if it removes most services",
                "  vgw apply --output json config/ | jq .generation"})
final class ApplyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Config directory: *.yaml and *.yml files, read recursively.")
    Path directory;

    @Option(names = {"-r", "--revision"}, paramLabel = "REV",
            description = "What to call this config in the gateway's status and log, e.g. a Git commit id "
                    + "(at most 200 printable ASCII characters).")
    String revision;

    @Option(names = "--dry-run", description = "Show the plan against the gateway's live config; send nothing.")
    boolean dryRun;

    @Option(names = "--force", description = "Apply even if the config removes every service or more than half of them.")
    boolean force;

    @Mixin
    SocketOption socket;

    @Mixin
    Output output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (revision != null && ConfigRequest.revisionProblem(revision) != null) {
            spec.commandLine().getErr().println("error: --revision: " + ConfigRequest.revisionProblem(revision));
            spec.commandLine().getErr().flush();
            return Main.USAGE;
        }
        List<SourceFile> files = ConfigLoader.readDirectory(directory);
        if (dryRun) return dryRun(out, files);
        // No local validation: the gateway validates every config it is sent (the same code) and answers its problems
        // located in the files, keeping what runs. Validating here too doubled the time of a big apply, and loading
        // the schemas was most of a small one's start-up.
        ApplyReply result;
        try (ControlClient client = new ControlClient(socket.resolve())) {
            result = client.apply(new ConfigRequest(revision, force, files));
        }
        if (output.json()) {
            print(out, result);
        } else if (result.unchanged()) {
            // println, not printf, where a script runs it often: a Formatter's first use loads locale data
            out.println("unchanged: revision " + result.revision() + " already runs (generation " + result.generation() + ")");
        } else if (result.applied()) {
            out.println("applied generation " + result.generation() + " (revision " + result.revision() + ")");
        } else if (!result.problems().isEmpty()) {
            for (Problem p : result.problems()) out.println(p);
            out.printf("%s: %d problem%s; the gateway keeps generation %d (vgw validate %s shows them without a gateway)%n",
                    directory, result.problems().size(), result.problems().size() == 1 ? "" : "s", result.generation(),
                    directory);
        } else {
            for (String reason : result.refused()) out.println("refused: " + reason);
            out.printf("the gateway refused %s and keeps generation %d%n", directory, result.generation());
        }
        out.flush();
        return result.applied() ? 0 : 1;
    }

    /** The plan against what the gateway runs; nothing is sent. */
    private int dryRun(PrintWriter out, List<SourceFile> files) throws IOException {
        var memo = new ConfigLoader.Memo();
        ConfigLoader.Result local = ConfigLoader.load(directory.toString(), files, memo);
        if (!local.ok()) {
            if (output.json()) {
                print(out, ApplyReply.invalid(revision, 0, local.problems()));
            } else {
                for (Problem p : local.problems()) out.println(p);
                out.printf("%s: %d problem%s%n", directory, local.problems().size(), local.problems().size() == 1 ? "" : "s");
            }
            out.flush();
            return 1;
        }
        LivePlan live = LivePlan.read(socket.resolve(), local.config(), memo);
        int code = DiffCommand.print(out, output, Planner.plan(live.config(), local.config()), live.label(), directory.toString());
        String guard = force ? null : RemovalGuard.check(
                live.config().services().stream().map(ServiceConfig::name).toList(),
                local.config().services().stream().map(ServiceConfig::name).collect(Collectors.toSet()));
        if (guard != null && !output.json()) out.println("\nnote: the gateway would refuse this: " + guard);
        out.flush();
        return code;
    }

    private static void print(PrintWriter out, Object json) {
        out.print(ApiJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
    }
}
