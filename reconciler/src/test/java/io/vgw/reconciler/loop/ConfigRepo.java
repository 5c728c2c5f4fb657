package io.vgw.reconciler.loop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.RefUpdate;

/** A real Git repository the reconciler fetches from over file://: the examples/ config under config/. */
public final class ConfigRepo implements AutoCloseable {
    static final Path EXAMPLES = Path.of("../examples").toAbsolutePath().normalize();
    /** A commit that adds a service (dns), shared with the CLI's end-to-end test. */
    static final Path ADD_A_SERVICE = Path.of("../ci/scenarios/add-a-service/services/dns.yaml");

    final Path dir;
    private final Git git;

    public ConfigRepo(Path dir) throws Exception {
        this.dir = dir;
        this.git = Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call();
        try (Stream<Path> files = Files.walk(EXAMPLES)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path to = dir.resolve("config").resolve(EXAMPLES.relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
        }
        commit("the examples");
    }

    public String url() {
        return dir.resolve(".git").toUri().toString();
    }

    String read(String path) throws IOException {
        return Files.readString(dir.resolve("config").resolve(path));
    }

    /** Writes (null: deletes) files under config/ and commits them; returns the commit id. */
    String commit(String message, Map<String, String> files) throws Exception {
        for (var e : files.entrySet()) {
            Path p = dir.resolve("config").resolve(e.getKey());
            if (e.getValue() == null) {
                Files.delete(p);
            } else {
                Files.createDirectories(p.getParent());
                Files.writeString(p, e.getValue());
            }
        }
        return commit(message);
    }

    /** Writes a file (relative to the repository's root) with these bytes and commits it. */
    String commitBytes(String message, String path, byte[] bytes) throws Exception {
        Path p = dir.resolve(path);
        Files.createDirectories(p.getParent());
        Files.write(p, bytes);
        return commit(message);
    }

    /** Replaces text in one file and commits. */
    public String edit(String message, String path, String from, String to) throws Exception {
        String text = read(path);
        if (!text.contains(from)) throw new IllegalArgumentException(path + " has no '" + from + "'");
        return commit(message, Map.of(path, text.replace(from, to)));
    }

    private String commit(String message) throws Exception {
        git.add().addFilepattern(".").call();
        git.add().addFilepattern(".").setUpdate(true).call();
        return git.commit().setMessage(message).setSign(false).setAuthor("t", "t@example.org")
                .setCommitter("t", "t@example.org").call().name();
    }

    public String head() throws IOException {
        return git.getRepository().resolve("refs/heads/main").name();
    }

    /** Commits a change with the git command line, signed by an SSH key (gpg.format=ssh). */
    String commitSigned(String message, String path, String text, Path sshKey) throws Exception {
        Files.writeString(dir.resolve("config").resolve(path), text);
        run("git", "-C", dir.toString(), "add", "-A");
        run("git", "-C", dir.toString(), "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "gpg.format=ssh",
                "-c", "user.signingkey=" + sshKey, "commit", "-q", "-S", "-m", message);
        return head();
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", command) + ": " + out);
        return out;
    }

    /** A force-push: main points back at {@code commit}. */
    void forceMain(String commit) throws Exception {
        RefUpdate u = git.getRepository().updateRef("refs/heads/main");
        u.setNewObjectId(ObjectId.fromString(commit));
        u.setForceUpdate(true);
        u.update();
        git.reset().setMode(org.eclipse.jgit.api.ResetCommand.ResetType.HARD).setRef(commit).call();
    }

    @Override
    public void close() {
        git.close();
    }
}
