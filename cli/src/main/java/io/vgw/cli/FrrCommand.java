package io.vgw.cli;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.frr.FrrConfigs;
import io.vgw.frr.Vtysh;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "frr", mixinStandardHelpOptions = true,
        description = "FRR (OSPF + BFD) for the LB nodes.",
        subcommands = {FrrCommand.Render.class, CommandLine.HelpCommand.class})
final class FrrCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = "Render an LB node's FRR config (zebra, ospfd, bfdd) from cluster.yaml: router id, area, "
                    + "interface (point-to-point), BFD profile, fast LSA and SPF timers, and OSPF on the gateway's TAP "
                    + "device for the config's VIPs alone (passive: each VIP a /32 stub in the node's router-LSA). The "
                    + "config is static: the gateway announces a VIP by an address on its TAP device, never by changing FRR.",
            footer = {"", "Prints the config, or writes it with --out. --check has vtysh -C check it; --apply also "
                    + "converges the running FRR to it (frr-reload.py: only the difference is sent), then shows that "
                    + "nothing is left to change. Run it again when VIPs are added: a new VIP is not announced until then "
                    + "(OSPF does not run on its address).",
                    "Exit codes: 0 ok, 1 invalid config, unknown node, or FRR refused the file, 64 bad usage.", "",
                    "Examples:",
                    "  vgw frr render --config examples --node lb1",
                    "  sudo vgw frr render --config /etc/vgw/config --node lb1 --out /etc/frr/frr.conf --apply",
                    "  vgw frr render -c examples -n lb2 --vty-socket /run/vgw-lab/vgwlab/frr-lb2 --check"})
    static final class Render implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, required = true, paramLabel = "DIR", description = "The config directory (cluster.yaml and services).")
        Path config;

        @Option(names = {"-n", "--node"}, required = true, paramLabel = "NAME", description = "The node, as in cluster.yaml's nodes[].name.")
        String node;

        @Option(names = "--out", paramLabel = "FILE", description = "Write the config here instead of printing it.")
        Path out;

        @Option(names = "--device", paramLabel = "NAME", defaultValue = FrrConfigs.DEFAULT_DEVICE,
                description = "The gateway's TAP device, as its gateway.yaml's announce.device (default: ${DEFAULT-VALUE}): "
                        + "OSPF runs on it for the VIPs.")
        String device;

        @Option(names = "--hostname", paramLabel = "NAME", description = "FRR's hostname line (default: this host's name, which vtysh shows).")
        String hostname;

        @Option(names = "--check", description = "Check the rendered config with vtysh -C (changes nothing).")
        boolean check;

        @Option(names = "--apply", description = "Check, then apply to the running FRR with frr-reload.py (one writer at a time).")
        boolean apply;

        @Option(names = "--vty-socket", paramLabel = "DIR", description = "The FRR daemons' vty socket folder (default FRR's own).")
        Path vtySocket;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            PrintWriter stdout = spec.commandLine().getOut();
            ConfigLoader.Result loaded = ConfigLoader.load(config);
            if (!loaded.ok()) {
                for (Problem p : loaded.problems()) err.println(p);
                err.printf("%s: %d problem%s; nothing rendered (see vgw validate)%n", config, loaded.problems().size(),
                        loaded.problems().size() == 1 ? "" : "s");
                err.flush();
                return 1;
            }
            String text = FrrConfigs.node(loaded.config(), node, hostname != null ? hostname : FrrConfigs.hostname(), device);
            if (!check && !apply) {
                if (out == null) stdout.print(text);
                else Files.writeString(out, text);
                stdout.flush();
                return 0;
            }
            Path file = out != null ? out : Files.createTempFile("vgw-frr-" + node, ".conf");
            try {
                Files.writeString(file, text);
                Vtysh vtysh = vtySocket != null ? Vtysh.at(vtySocket) : Vtysh.system();
                List<String> problems = vtysh.check(file);
                if (!problems.isEmpty()) {
                    for (String p : problems) err.println(p);
                    err.println("FRR refused the rendered config (vtysh -C): nothing applied");
                    err.flush();
                    return 1;
                }
                stdout.println("checked: vtysh -C accepts the config for " + node);
                if (apply) {
                    vtysh.apply(file);
                    List<String> left = vtysh.diff(file);
                    stdout.println(left.isEmpty() ? "applied: frr-reload.py --test shows nothing left to change"
                            : "applied, but FRR still differs (" + left.size() + " lines):\n" + String.join("\n", left));
                    if (!left.isEmpty()) return 1;
                }
                if (out == null) stdout.print(text);
                stdout.flush();
                return 0;
            } catch (Vtysh.FrrException e) {
                err.println("error: " + e.getMessage());
                err.flush();
                return 1;
            } finally {
                if (out == null) Files.deleteIfExists(file);
            }
        }
    }
}
