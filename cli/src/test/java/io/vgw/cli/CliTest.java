package io.vgw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The commands as an operator or a CI job runs them: arguments in, text or JSON and an exit code out. */
class CliTest {
    static final Path EXAMPLES = Path.of("../examples");
    static final Path SCENARIO = Path.of("../ci/scenarios/reweight-and-add");

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Main.commandLine(args.length > 0 ? args[0] : null); // as main() does
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Test
    void validateExamples() {
        Run r = run("validate", EXAMPLES.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals("../examples: valid (4 services, cluster lab with 2 nodes; forwarding state about 0.3 MiB)\n", r.out());
    }

    @Test
    void frrRenderPrintsTheNodesConfig() {
        Run r = run("frr", "render", "--config", EXAMPLES.toString(), "--node", "lb2", "--hostname", "lb2host");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("\nhostname lb2host\n") && r.out().contains(" ospf router-id 10.255.0.2\n")
                && r.out().contains("\ninterface vgw0\n ip ospf area 0.0.0.0 192.0.2.10\n"), r.out());
        Run device = run("frr", "render", "--config", EXAMPLES.toString(), "--node", "lb2", "--device", "vgwtap1");
        assertTrue(device.out().contains("\ninterface vgwtap1\n ip ospf area 0.0.0.0 192.0.2.10\n"), device.out() + device.err());
        Run unknown = run("frr", "render", "--config", EXAMPLES.toString(), "--node", "lb7");
        assertEquals(1, unknown.code());
        assertEquals("error: cluster lab has no node 'lb7'; its nodes: [lb1, lb2]\n", unknown.err());
    }

    @Test
    void validateReportsEveryProblemAndExitsOne() throws Exception {
        copy(EXAMPLES, tmp);
        Path web = tmp.resolve("services/web.yaml");
        Files.writeString(web, Files.readString(web).replace("weight: 50", "weight: 70000").replace("port: 80", "port: 80\nport: 81"));
        Run r = run("validate", tmp.toString());
        assertEquals(1, r.code());
        assertEquals("services/web.yaml:6:1: port: duplicate key 'port' (first at line 5); YAML keys must be unique\n"
                + tmp + ": 1 problem\n", r.out());
        Files.writeString(web, Files.readString(web).replace("port: 80\nport: 81", "port: 80"));
        Run json = run("validate", "--output", "json", tmp.toString());
        assertEquals(1, json.code());
        JsonNode problems = JsonMapper.shared().readTree(json.out()).path("problems");
        assertEquals("servers[2].weight", problems.path(0).path("field").asString());
        assertEquals(20, problems.path(0).path("line").asInt());
    }

    @Test
    void badUsageAndMissingInputAreExplained() {
        assertEquals(Main.USAGE, run("diff").code());
        Run missing = run("validate", "/nonexistent");
        assertEquals(1, missing.code());
        assertEquals("error: /nonexistent is not a directory\n", missing.err());
    }

    @Test
    void everyCommandHasHelpWithAnExample() {
        for (String command : new String[] {"validate", "diff"}) {
            Run r = run(command, "--help");
            assertEquals(0, r.code());
            assertTrue(r.out().contains("Examples:\n  vgw " + command), r.out());
        }
    }

    @Test
    void diffOfTheExamplePullRequestFromGit() throws Exception {
        try (Git git = Git.init().setDirectory(tmp.toFile()).setInitialBranch("main").call()) {
            copy(EXAMPLES, tmp.resolve("config"));
            commit(git, "live");
            git.checkout().setCreateBranch(true).setName("pr").call();
            copy(SCENARIO, tmp.resolve("config"));
            commit(git, "reweight .13, add .14");
        }
        Run text = run("diff", "--repo", tmp.toString(), "--from", "main", "--to", "pr", "--path", "config", "--color", "never");
        assertEquals(2, text.code(), text.out() + text.err());
        assertTrue(text.out().contains("~ service web  192.0.2.10:80/tcp\n"), text.out());
        assertTrue(text.out().contains("    ~ 203.0.113.13          weight 50 -> 100   share 20.0% -> 25.0%\n"), text.out());
        assertTrue(text.out().contains("    + 203.0.113.14          weight 100         share 0.0% -> 25.0%\n"), text.out());
        assertTrue(text.out().contains("flows moving to another server: 33.3% (the new shares need at least 30.0%)"), text.out());

        Run json = run("diff", "--repo", tmp.toString(), "--from", "main", "--to", "pr", "--path", "config", "-o", "json");
        assertEquals(2, json.code());
        JsonNode plan = JsonMapper.shared().readTree(json.out());
        assertEquals(1, plan.path("summary").path("change").asInt());
        JsonNode web = plan.path("services").path(0);
        assertEquals("web", web.path("name").asString());
        assertEquals(0.333, web.path("flows").path("moved_share").asDouble(), 0.001);
        // .11 keeps its weight (only its share moves): not a change; .13 is reweighted, .14 added
        assertEquals("203.0.113.11 unchanged, 203.0.113.12 unchanged, 203.0.113.13 change, 203.0.113.14 add",
                String.join(", ", web.path("servers").valueStream()
                        .map(r -> r.path("server").asString() + " " + r.path("action").asString()).toList()));

        Run same = run("diff", "--repo", tmp.toString(), "--from", "pr", "--to", "pr", "--path", "config");
        assertEquals(0, same.code());
    }

    @Test
    void diffOfDirectoriesRefusesAnInvalidSide() throws Exception {
        copy(EXAMPLES, tmp);
        Files.writeString(tmp.resolve("services/web.yaml"), "service: [\n");
        Run r = run("diff", EXAMPLES.toString(), tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.out().startsWith(tmp + " is not valid:\n  services/web.yaml:2:1: yaml: "), r.out());
    }

    /** A config whose cluster file nests LEVELS lists: the parser must refuse it before recursing that deep. */
    private Path deepConfig(int levels) throws Exception {
        Path dir = tmp.resolve("deep" + levels);
        copy(EXAMPLES, dir);
        Files.writeString(dir.resolve("deep.yaml"), "service: deep\nservers: " + "[".repeat(levels) + "]".repeat(levels) + "\n");
        return dir;
    }

    @Test
    void deepYamlIsAProblemNotAStackTrace() throws Exception {
        for (int levels : new int[] {3_000, 20_000}) {
            Path deep = deepConfig(levels);
            Run text = run("validate", deep.toString());
            assertEquals(1, text.code(), text.err());
            assertEquals("deep.yaml:1:1: yaml: nested too deeply (limit 32)\n" + deep + ": 1 problem\n", text.out());
            assertEquals("", text.err());

            Run json = run("validate", "-o", "json", deep.toString());
            assertEquals(1, json.code());
            JsonNode problem = JsonMapper.shared().readTree(json.out()).path("problems").path(0);
            assertEquals("nested too deeply (limit 32)", problem.path("message").asString());

            Run diff = run("diff", "-o", "json", EXAMPLES.toString(), deep.toString());
            assertEquals(1, diff.code());
            assertEquals(1, JsonMapper.shared().readTree(diff.out()).path("problems").size(), diff.out());
        }
    }

    @Test
    void schemaAndSemanticProblemsAreReportedTogetherAsTheReadmeShows() throws Exception {
        copy(EXAMPLES, tmp);
        Path web = tmp.resolve("services/web.yaml");
        Files.writeString(web, Files.readString(web).replace("weight: 50", "weight: 70000").replace("65537", "65536"));
        Run r = run("validate", tmp.toString());
        assertEquals(1, r.code());
        assertEquals("""
                services/web.yaml:8:15: maglev.table_size: 65536 is not prime; Maglev needs a prime table size (nearest: 65521 or 65537)
                services/web.yaml:20:37: servers[2].weight: must have a maximum value of 65535
                """ + tmp + ": 2 problems\n", r.out());
    }

    @Test
    void aCommandBuildsOnlyItsOwnModelButHelpListsThemAll() {
        assertEquals(java.util.Set.of("validate"), Main.commandLine("validate").getSubcommands().keySet());
        assertEquals(java.util.Set.of("validate", "diff", "gateway", "apply", "status", "drain", "frr", "reconcile", "lab", "help"),
                Main.commandLine("help").getSubcommands().keySet());
        Run help = run("help", "validate");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: vgw validate"), help.out());
        Run top = run("--help");
        assertTrue(top.out().contains("\n  validate  ") && top.out().contains("\n  lab       "), top.out());
    }

    @Test
    void unknownSubcommandIsBadUsageEvenWithHelp() {
        Run r = run("nosuch", "--help");
        assertEquals(Main.USAGE, r.code());
        assertTrue(r.err().startsWith("Unmatched argument at index 0: 'nosuch'"), r.err());
        assertTrue(run("diff", "--help").out().contains("64 bad usage"));
    }

    @Test
    void revisionsAreBoundedAndPrintable() {
        for (String bad : new String[] {"main\nINFO applied generation 9", "x".repeat(100_000), ""}) {
            Run r = run("diff", "--repo", ".", "--from", bad, "--to", "HEAD");
            assertEquals(Main.USAGE, r.code());
            assertTrue(r.err().startsWith("Invalid value for option '--from': revision "), r.err());
            assertTrue(!r.err().contains("INFO applied") && !r.err().contains("x".repeat(300)), r.err()); // not echoed
        }
    }

    @Test
    void anUnreadableRevisionOrPathIsNotAnInvalidConfig() throws Exception {
        try (Git git = Git.init().setDirectory(tmp.toFile()).setInitialBranch("main").call()) {
            copy(EXAMPLES, tmp.resolve("config"));
            commit(git, "live");
        }
        Run revision = run("diff", "--repo", tmp.toString(), "--from", "nosuch", "--to", "main", "--path", "config");
        assertEquals(DiffCommand.UNREADABLE, revision.code());
        assertTrue(revision.err().startsWith("error: unknown revision 'nosuch' in " + tmp), revision.err());
        Run path = run("diff", "--repo", tmp.toString(), "--from", "main", "--to", "main", "--path", "nosuch");
        assertEquals(DiffCommand.UNREADABLE, path.code());
        assertTrue(path.err().startsWith("error: there is no nosuch in " + tmp + " at main"), path.err());
        Run directory = run("diff", EXAMPLES.toString(), tmp.resolve("nosuch").toString());
        assertEquals(DiffCommand.UNREADABLE, directory.code());
    }

    private static void commit(Git git, String message) throws Exception {
        git.add().addFilepattern(".").call();
        git.commit().setMessage(message).setSign(false).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();
    }
}
