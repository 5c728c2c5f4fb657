package io.vgw.cli;

import io.vgw.config.Config;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a config directory: YAML syntax, the JSON Schemas in schemas/, and the rules across files "
                + "(unique VIPs and names, prime table sizes, usable addresses, ...).",
        footer = {"", "Every problem is printed as file:line:column: field.path: message.",
                "Exit codes: 0 valid, 1 problems found.", "", "Examples:",
                "  vgw validate examples/",
                "  vgw validate --output json config/ | jq '.problems[].message'"})
final class ValidateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Config directory: *.yaml and *.yml files, read recursively.")
    Path directory;

    @Mixin
    Output output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ConfigLoader.Result result = ConfigLoader.load(directory);
        var out = spec.commandLine().getOut();
        if (output.json()) {
            out.print(json(result));
        } else if (result.ok()) {
            Config c = result.config();
            out.printf("%s: valid (%d services, cluster %s with %d nodes)%n", directory, c.services().size(),
                    c.cluster().name(), c.cluster().nodes().size());
        } else {
            for (Problem p : result.problems()) out.println(p);
            out.printf("%s: %d problem%s%n", directory, result.problems().size(), result.problems().size() == 1 ? "" : "s");
        }
        out.flush();
        return result.ok() ? 0 : 1;
    }

    static String json(ConfigLoader.Result result) {
        ObjectNode root = JsonMapper.shared().createObjectNode();
        root.put("valid", result.ok());
        if (result.ok()) root.put("services", result.config().services().size());
        var problems = root.putArray("problems");
        for (Problem p : result.problems()) {
            problems.addObject().put("file", p.file()).put("line", p.line()).put("column", p.column())
                    .put("field", p.field()).put("message", p.message());
        }
        return JsonMapper.shared().writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }
}
