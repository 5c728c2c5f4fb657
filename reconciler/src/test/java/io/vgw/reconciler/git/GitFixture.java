package io.vgw.reconciler.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real repositories made with the real {@code git} (2.39 signs with SSH keys): a bare "origin" and a clone to commit
 * and push from. git runs with its own HOME so the machine's configuration never leaks in.
 */
final class GitFixture {
    final Path home;
    final Path origin;
    final Path work;

    GitFixture(Path dir) throws Exception {
        home = Files.createDirectories(dir.resolve("home"));
        origin = dir.resolve("origin.git");
        work = dir.resolve("work");
        run(dir, "git", "init", "-q", "--bare", "-b", "main", origin.toString());
        run(dir, "git", "clone", "-q", origin.toString(), work.toString());
        git("config", "user.name", "Test Operator");
        git("config", "user.email", "ops@example.org");
        git("config", "commit.gpgsign", "false");
    }

    String url() {
        return origin.toUri().toString();
    }

    /** Writes {@code path} in the clone, commits it (with extra {@code -c} settings, e.g. to sign) and pushes (forced). */
    String commit(String path, String text, String... config) throws Exception {
        Path file = work.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        git("add", "-A");
        List<String> args = new ArrayList<>();
        for (String c : config) {
            args.add("-c");
            args.add(c);
        }
        args.addAll(List.of("commit", "-q", "-m", "change " + path));
        git(args.toArray(String[]::new));
        git("push", "-q", "origin", "+HEAD:main"); // + so a test can rewrite history
        return git("rev-parse", "HEAD");
    }

    String git(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        return run(work, command.toArray(String[]::new));
    }

    String run(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("HOME", home.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GNUPGHOME", home.resolve(".gnupg").toString());
        Process process = builder.start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in 60 s");
        }
        if (process.exitValue() != 0) throw new IOException(String.join(" ", command) + " failed: " + out);
        return out.strip();
    }
}
