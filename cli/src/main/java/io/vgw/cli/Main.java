package io.vgw.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The vgw command: one entry point, a subcommand per job. */
@Command(name = "vgw", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Config-as-code L4 load balancer: Git + YAML, weighted Maglev, DPDK gateway.",
        subcommands = {ValidateCommand.class, DiffCommand.class, GatewayCommand.class, ApplyCommand.class,
                StatusCommand.class, ReconcileCommand.class, LabCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
                "  vgw validate examples/",
                "  vgw diff --repo . --from origin/main --to HEAD --path examples",
                "  sudo vgw gateway --config /etc/vgw/gateway.yaml",
                "  vgw apply --socket /run/vgw/lb1.sock examples/",
                "  vgw status --socket /run/vgw/lb1.sock",
                "  vgw reconcile --repo file:///srv/lb-config.git --ref main --path config",
                "  vgw reconcile status",
                "  sudo vgw lab demo",
                "", "Exit codes: 0 ok, 1 invalid input (or refused, or no gateway to talk to), 2 diff found changes, "
                + "64 bad usage."})
public final class Main implements Runnable {
    /** Usage errors get their own code: 2 means "changes" for vgw diff. */
    static final int USAGE = 64;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        CommandLine.IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
        return cli
                .setParameterExceptionHandler((e, args) -> {
                    usage.handleParseException(e, args);
                    return USAGE;
                })
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // Errors about user input are explained, not dumped as stack traces.
                    if (e instanceof IllegalArgumentException || e instanceof java.io.IOException
                            || e instanceof java.io.UncheckedIOException || e instanceof io.vgw.lab.LabException) {
                        cmd.getErr().println("error: " + e.getMessage());
                        return 1;
                    }
                    throw e;
                });
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"vgw " + (v == null ? "dev" : v)};
        }
    }
}
