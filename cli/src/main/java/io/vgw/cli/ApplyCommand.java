package io.vgw.cli;

import io.vgw.api.ApiJson;
import io.vgw.api.ApplyReply;
import io.vgw.api.ConfigRequest;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.config.load.SourceFile;
import io.vgw.reconciler.apply.ControlClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "apply", mixinStandardHelpOptions = true,
        description = "Send a config directory to a running gateway as one atomic change. The directory is validated "
                + "here first (nothing is sent when it has problems); the gateway validates again, then swaps its "
                + "forwarding state, or refuses and keeps the live one.",
        footer = {"", "Without --revision the gateway names the config by a hash of its files (sha256:...).",
                "Without --socket: the only socket in /run/vgw (gateways default to /run/vgw/<gateway>.sock).",
                "--output json prints the gateway's answer: {\"applied\", \"revision\", \"generation\", \"problems\"}.",
                "Exit codes: 0 applied, 1 invalid, refused, or no gateway to talk to, 64 bad usage.", "",
                "Examples:",
                "  vgw apply examples/",
                "  vgw apply --socket /run/vgw/lb1.sock --revision $(git rev-parse HEAD) config/",
                "  vgw apply --output json config/ | jq .generation"})
final class ApplyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Config directory: *.yaml and *.yml files, read recursively.")
    Path directory;

    @Option(names = {"-r", "--revision"}, paramLabel = "REV",
            description = "What to call this config in the gateway's status and log, e.g. a Git commit id.")
    String revision;

    @Mixin
    SocketOption socket;

    @Mixin
    Output output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        List<SourceFile> files = ConfigLoader.readDirectory(directory);
        ConfigLoader.Result local = ConfigLoader.load(directory.toString(), files);
        if (!local.ok()) {
            if (output.json()) {
                print(out, ApplyReply.invalid(revision, 0, local.problems()));
            } else {
                for (Problem p : local.problems()) out.println(p);
                out.printf("%s: %d problem%s; nothing was sent to the gateway%n", directory, local.problems().size(),
                        local.problems().size() == 1 ? "" : "s");
            }
            out.flush();
            return 1;
        }
        ApplyReply result;
        try (ControlClient client = new ControlClient(socket.resolve())) {
            result = client.apply(new ConfigRequest(revision, false, files));
        }
        if (output.json()) {
            print(out, result);
        } else if (result.applied()) {
            out.printf("applied generation %d (revision %s, %d services)%n", result.generation(), result.revision(),
                    local.config().services().size());
        } else if (!result.problems().isEmpty()) {
            for (Problem p : result.problems()) out.println(p);
            out.printf("the gateway found %d problem%s in %s (its vgw may be another version than this one); "
                            + "it keeps generation %d%n", result.problems().size(), result.problems().size() == 1 ? "" : "s",
                    directory, result.generation());
        } else {
            for (String reason : result.refused()) out.println("refused: " + reason);
            out.printf("the gateway refused %s and keeps generation %d%n", directory, result.generation());
        }
        out.flush();
        return result.applied() ? 0 : 1;
    }

    private static void print(PrintWriter out, Object json) {
        out.print(ApiJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
    }
}
