package io.vgw.cli;

import io.vgw.config.load.ConfigLoader;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The vgw command: one entry point, a subcommand per job. */
@Command(name = "vgw", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Config-as-code L4 load balancer: Git + YAML, weighted Maglev, DPDK gateway.",
        footer = {"", "Examples:",
                "  vgw validate examples/",
                "  vgw diff --repo . --from origin/main --to HEAD --path examples",
                "  sudo vgw gateway --config /etc/vgw/gateway.yaml",
                "  vgw apply --socket /run/vgw/lb1.sock examples/",
                "  vgw status --socket /run/vgw/lb1.sock",
                "  vgw drain --socket /run/vgw/lb1.sock",
                "  vgw frr render --config examples --node lb1",
                "  vgw reconcile --repo file:///srv/lb-config.git --ref main --path config",
                "  vgw reconcile status",
                "  sudo vgw lab demo",
                "", "Exit codes: 0 ok, 1 invalid input (or refused, or no gateway to talk to), 2 diff found changes, "
                + "64 bad usage."})
public final class Main implements Runnable {
    /** Commands that run until stopped (and the lab, which starts them). */
    private static final java.util.Set<String> DAEMONS = java.util.Set.of("gateway", "reconcile", "lab");

    /** Usage errors get their own code: 2 means "changes" for vgw diff. */
    static final int USAGE = 64;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The subcommands, in the order help lists them. */
    private static final List<Class<?>> COMMANDS = List.of(ValidateCommand.class, DiffCommand.class,
            GatewayCommand.class, ApplyCommand.class, StatusCommand.class, DrainCommand.class, FrrCommand.class, ReconcileCommand.class, LabCommand.class,
            CommandLine.HelpCommand.class);

    /*
     * A lookup of something no jar has makes the class loader open all 45 jars on the class path to be sure (classes
     * from the AOT cache need none opened): a sixth of a short command's time. Named here, what they look for is
     * found at once (a value given with -D wins): picocli looks for Groovy's Closure, slf4j for its providers (and
     * slf4j-simple for simplelogger.properties, which vgw.jar holds), and the JDK for a SelectorProvider service
     * before it takes its default, on Linux this one (the first unix socket of `vgw apply` and `vgw status`).
     */
    static {
        for (String[] p : new String[][] {{"picocli.disable.closures", "true"},
                {"slf4j.provider", "org.slf4j.simple.SimpleServiceProvider"}, {"slf4j.internal.verbosity", "WARN"},
                {"java.nio.channels.spi.SelectorProvider", "sun.nio.ch.EPollSelectorProvider"}}) {
            if (System.getProperty(p[0]) == null) System.setProperty(p[0], p[1]);
        }
    }

    public static void main(String[] args) {
        String first = args.length > 0 ? args[0] : null;
        if ("validate".equals(first) || "diff".equals(first)) ConfigLoader.prepareSchemas(); // beside picocli's start-up
        CommandLine cli = commandLine(first);
        int code = cli.execute(args);
        // The daemons and the lab exit, whatever threads their libraries leave behind, running their shutdown hooks.
        if (DAEMONS.contains(first)) System.exit(code);
        // A short command that succeeded returns from main, and the JVM ends with its last non-daemon thread. One
        // that fails halts: System.exit looks up the JDK's logger to record the exit, and that lookup opens every
        // jar on the class path (about as long as the rest of `vgw diff`'s start-up). Short commands register no
        // shutdown hooks; their output is flushed here.
        if (code != 0) {
            cli.getOut().flush();
            cli.getErr().flush();
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(code);
        }
    }

    /** Every subcommand: for help, tests and the AOT training run. */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * Only the subcommand named {@code first} when it names one: picocli builds each command's model by reflection,
     * a good part of a short command's start-up, so `vgw validate` does not pay for `vgw lab`'s nine subcommands.
     * Anything else (no argument, an option, a typo, `help`) gets them all, for help and for the error message.
     */
    static CommandLine commandLine(String first) {
        CommandLine cli = new CommandLine(new Main());
        boolean one = !"help".equals(first) && COMMANDS.stream().anyMatch(c -> name(c).equals(first));
        for (Class<?> command : COMMANDS) if (!one || name(command).equals(first)) cli.addSubcommand(command);
        CommandLine.IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
        return cli
                .setParameterExceptionHandler((e, args) -> {
                    usage.handleParseException(e, args);
                    return USAGE;
                })
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionStrategy(parsed -> {
                    // --help wins over parse errors in picocli, so "vgw nosuch --help" would print help and exit 0
                    for (var p = parsed; p != null; p = p.subcommand()) {
                        if (!p.unmatched().isEmpty()) {
                            throw new CommandLine.UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
                        }
                    }
                    return new CommandLine.RunLast().execute(parsed);
                })
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

    private static String name(Class<?> command) {
        return command.getAnnotation(Command.class).name();
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
