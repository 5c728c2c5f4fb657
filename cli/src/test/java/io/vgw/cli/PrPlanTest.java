package io.vgw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * ci/pr-plan as a CI job runs it, on real Git repositories. The script runs the vgw of this build (VGW points at a
 * wrapper around the test class path), not the launcher, which would rebuild the project.
 */
class PrPlanTest {
    static final Path SCRIPT = Path.of("../ci/pr-plan").toAbsolutePath().normalize();
    static final int GITHUB_COMMENT_LIMIT = 65_536;

    @TempDir
    Path tmp;

    Path repo;
    Path vgw;

    record Run(int code, String comment, String err) {}

    @BeforeEach
    void setUp() throws Exception {
        vgw = tmp.resolve("vgw");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(vgw, "#!/bin/sh\nexec '" + java + "' --enable-native-access=ALL-UNNAMED -cp '"
                + System.getProperty("java.class.path") + "' io.vgw.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(vgw, PosixFilePermissions.fromString("rwxr-xr-x"));
        repo = tmp.resolve("repo");
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            CliTest.copy(CliTest.EXAMPLES, repo.resolve("config"));
            commit(git, "live");
        }
    }

    Run prPlan(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(SCRIPT.toString(), "--repo", repo.toString(), "--path", "config",
                "--json", tmp.resolve("plan.json").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(tmp.resolve("stderr").toFile());
        builder.environment().put("VGW", vgw.toString());
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "ci/pr-plan did not finish");
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8), Files.readString(tmp.resolve("stderr")));
    }

    JsonNode planJson() throws Exception {
        return JsonMapper.shared().readTree(Files.readString(tmp.resolve("plan.json")));
    }

    /** Changes the config on a branch "pr" off main. */
    void pullRequest(String file, String text) throws Exception {
        try (Git git = Git.open(repo.toFile())) {
            git.checkout().setCreateBranch(true).setName("pr").call();
            Path path = repo.resolve("config").resolve(file);
            Files.createDirectories(path.getParent());
            Files.writeString(path, text);
            commit(git, "change");
        }
    }

    @Test
    void usageShowsTheCommentOnly() throws Exception {
        Run r = prPlan("--help");
        assertEquals(0, r.code());
        assertTrue(r.comment().startsWith("The dry-run plan for a pull request"), r.comment());
        assertFalse(r.comment().contains("set -euo"), r.comment());
    }

    @Test
    void deepYamlIsReportedAsAProblem() throws Exception {
        pullRequest("deep.yaml", "service: deep\nservers: " + "[".repeat(20_000) + "]".repeat(20_000) + "\n");
        Run r = prPlan("main", "pr");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.comment().contains("deep.yaml:1:1: yaml: nested too deeply (limit 32)"), r.comment());
        assertEquals("nested too deeply (limit 32)", planJson().path("problems").path(0).path("message").asString());
    }

    @Test
    void anUnknownRevisionIsNotAnInvalidConfig() throws Exception {
        Run r = prPlan("main", "nosuch");
        assertEquals(DiffCommand.UNREADABLE, r.code(), r.err());
        assertTrue(r.comment().contains("could not read the revisions"), r.comment());
        assertTrue(r.comment().contains("unknown revision 'nosuch'"), r.comment());
        assertFalse(r.comment().contains("not valid"), r.comment());
    }

    @Test
    void revisionsAreCheckedBeforeAnythingRuns() throws Exception {
        for (String bad : new String[] {"main\n### forged heading", "a".repeat(100_000)}) {
            Run r = prPlan("main", bad);
            assertEquals(Main.USAGE, r.code());
            assertEquals("", r.comment());
            assertTrue(r.err().startsWith("a revision is 1 to 200 printable characters"), r.err());
        }
    }

    /** 10,000 changed pools: the comment stays under GitHub's limit, the JSON keeps every one. */
    @Test
    void aHugePlanFitsInOneComment() throws Exception {
        int services = 10_000;
        try (Git git = Git.open(repo.toFile())) {
            writeServices(services, false);
            commit(git, "10,000 services");
            git.checkout().setCreateBranch(true).setName("pr").call();
            writeServices(services, true);
            commit(git, "a second server everywhere");
        }
        Run r = prPlan("main", "pr");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.comment().length() < GITHUB_COMMENT_LIMIT, "comment of " + r.comment().length() + " characters");
        assertTrue(r.comment().contains("Plan: 0 to add, 10000 to change, 0 to remove."), r.comment());
        assertTrue(r.comment().matches("(?s).*\\.\\.\\. and [0-9,]+ more services \\(see the JSON plan\\).*"), r.comment());
        assertEquals(services, planJson().path("services").size());
    }

    private void writeServices(int count, boolean secondServer) throws Exception {
        for (int file = 0; file < count / 1000; file++) {
            StringBuilder yaml = new StringBuilder();
            for (int i = file * 1000; i < (file + 1) * 1000; i++) {
                yaml.append("---\nservice: s").append(i).append("\nvip: 10.1.").append(i / 250).append('.')
                        .append(i % 250 + 1).append("\nport: 80\nprotocol: tcp\nmaglev: {table_size: 211}\n")
                        .append("health: {type: tcp}\nservers:\n  - {address: 203.0.113.11}\n");
                if (secondServer) yaml.append("  - {address: 203.0.113.12}\n");
            }
            Path path = repo.resolve("config/bulk/services-" + file + ".yaml");
            Files.createDirectories(path.getParent());
            Files.writeString(path, yaml);
        }
    }

    private static void commit(Git git, String message) throws Exception {
        git.add().addFilepattern(".").call();
        git.commit().setMessage(message).setSign(false).setAuthor("t", "t@example.org")
                .setCommitter("t", "t@example.org").call();
    }
}
