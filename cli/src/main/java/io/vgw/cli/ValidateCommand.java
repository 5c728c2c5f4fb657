package io.vgw.cli;

import io.vgw.config.Config;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.maglev.Footprint;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a config directory: YAML syntax, the JSON Schemas in schemas/, and the rules across files "
                + "(unique VIPs and names, prime table sizes, usable addresses, ...), and estimates the heap the "
                + "gateway's forwarding state will take (Maglev tables) against --memory-budget.",
        footer = {"", "Every problem is printed as file:line:column: field.path: message.",
                "Exit codes: 0 valid, 1 problems found.", "", "Examples:",
                "  vgw validate examples/",
                "  vgw validate --memory-budget 1536 config/     # the gateway's forwarding_budget_mb",
                "  vgw validate --output json config/ | jq '.problems[].message'"})
final class ValidateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Config directory: *.yaml and *.yml files, read recursively.")
    Path directory;

    @Option(names = "--memory-budget", paramLabel = "MIB",
            description = "Refuse a config whose forwarding state would take more heap than this many MiB on a "
                    + "gateway (its forwarding_budget_mb; default there: 3/4 of -Xmx).")
    Long budgetMib;

    @Mixin
    Output output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ConfigLoader.Result result = overBudget(ConfigLoader.load(directory));
        var out = spec.commandLine().getOut();
        if (output.json()) {
            out.print(json(result));
        } else if (result.ok()) {
            Config c = result.config();
            // println, not printf: the first Formatter of a JVM loads locale data
            out.println(directory + ": valid (" + c.services().size() + " services, cluster " + c.cluster().name()
                    + " with " + c.cluster().nodes().size() + " nodes; forwarding state about "
                    + Footprint.format(Footprint.of(c)) + ")");
        } else {
            for (Problem p : result.problems()) out.println(p);
            out.printf("%s: %d problem%s%n", directory, result.problems().size(), result.problems().size() == 1 ? "" : "s");
        }
        out.flush();
        return result.ok() ? 0 : 1;
    }

    /** The result, or a problem when the config is valid but its forwarding state is over the budget given. */
    private ConfigLoader.Result overBudget(ConfigLoader.Result result) {
        if (!result.ok() || budgetMib == null) return result;
        long bytes = Footprint.of(result.config());
        if (bytes <= budgetMib << 20) return result;
        return new ConfigLoader.Result(null, List.of(new Problem(directory.toString(), 1, 1, "memory", String.format(
                "the gateway's forwarding state would take about %s, over the budget of %d MiB (--memory-budget); "
                        + "use smaller maglev.table_size, fewer distinct pools, or a gateway with more heap",
                Footprint.format(bytes), budgetMib))));
    }

    static String json(ConfigLoader.Result result) {
        ObjectNode root = JsonMapper.shared().createObjectNode();
        root.put("valid", result.ok());
        if (result.ok()) {
            root.put("services", result.config().services().size());
            root.put("forwarding_bytes", Footprint.of(result.config()));
        }
        var problems = root.putArray("problems");
        for (Problem p : result.problems()) {
            problems.addObject().put("file", p.file()).put("line", p.line()).put("column", p.column())
                    .put("field", p.field()).put("message", p.message());
        }
        return JsonMapper.shared().writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }
}
