package io.vgw.lab;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import io.vgw.reconciler.server.ReconcilerServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The lab's config repository, as a team would have it: a bare repository in the lab's run folder ({@code
 * config.git}) seeded from the lab's config, a clone to commit in ({@code config/}), and a post-receive hook that
 * pings the webhook of each LB node's reconciler (HMAC-signed, over the node's management link) so a push is applied
 * at once; the reconcilers also poll. Plain {@code git} does all of it: what the lab shows is what a user does.
 */
public final class LabRepo {
    /** Each node's reconciler listens for the hook on its management address ({@link LabPlan#managementAddress}). */
    public static final int WEBHOOK_PORT = 9180;

    private final Path dir;

    private LabRepo(Path dir) {
        this.dir = dir;
    }

    public static LabRepo in(Path labDir) {
        return new LabRepo(labDir);
    }

    public Path bare() {
        return dir.resolve("config.git");
    }

    /** The clone to commit in (git commit && git push, as the lab prints). */
    public Path clone() {
        return dir.resolve("config");
    }

    public Path secret() {
        return dir.resolve("webhook.secret");
    }

    public String url() {
        return bare().toUri().toString();
    }

    /**
     * Creates the repository with one commit holding the config, then the hook pinging the reconcilers' webhooks at
     * the given addresses (the nodes' management addresses, each reached from here on port {@link #WEBHOOK_PORT}).
     */
    void create(Path configDir, List<String> webhooks) throws IOException {
        git(dir, "init", "-q", "--bare", "-b", "main", bare().toString());
        git(dir, "clone", "-q", bare().toString(), clone().toString());
        git(clone(), "config", "user.name", "vgw lab");
        git(clone(), "config", "user.email", "lab@vgw.invalid");
        for (SourceFile f : ConfigLoader.readDirectory(configDir)) write(f.path(), f.text());
        commitAndPush("the lab's config, from " + configDir.toAbsolutePath().normalize());
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String secret = HexFormat.of().formatHex(key);
        Files.writeString(secret(), secret,
                java.nio.file.StandardOpenOption.CREATE_NEW);
        Files.setPosixFilePermissions(secret(), PosixFilePermissions.fromString("rw-------"));
        // A push brings a few objects: `git gc --auto` would only count them, one more process on every push.
        git(bare(), "config", "receive.autogc", "false");
        Path hook = bare().resolve("hooks/post-receive");
        StringBuilder pings = new StringBuilder();
        StringBuilder answers = new StringBuilder();
        int fd = 3;
        for (String webhook : webhooks) {
            // A node that does not answer is left to its next poll (its error is not the pusher's).
            pings.append("{ exec %d<>/dev/tcp/%s/%d && printf %%s \"$request\" >&%d; } 2>/dev/null\n"
                    .formatted(fd, webhook, WEBHOOK_PORT, fd));
            answers.append(answers.isEmpty() ? "" : "; ").append("read -t 10 -r _ <&").append(fd);
            fd++;
        }
        String body = "{\"event\":\"push\"}";
        String signature = HexFormat.of().formatHex(ReconcilerServer.hmac(
                secret.getBytes(StandardCharsets.UTF_8), body.getBytes(StandardCharsets.UTF_8)));
        Files.writeString(hook, """
                #!/bin/bash
                # Written by vgw lab up: tell each LB node's reconciler to fetch now, first thing, over the nodes'
                # management links (as a forge reaches LB nodes). One process: bash's /dev/tcp sends each request, and
                # one fork of it reads the answers detached, so the push waits for neither; no process per node (a
                # process start costs 10-25 ms of CPU on a busy two-core host, on the path from push to applied).
                # The reconcilers take a signed request only as "fetch now" and check everything themselves, so the
                # body is fixed and was signed (HMAC-SHA256) when the lab was made: no openssl on every push.
                request=$'POST /hook HTTP/1.1\\r\\nHost: vgw-lab\\r\\n%s: sha256=%s\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s'
                %s{ %s; } </dev/null >/dev/null 2>&1 &
                """.formatted(ReconcilerServer.SIGNATURE_HEADER, signature, body.length(), body, pings, answers));
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
    }

    /** Writes a file of the clone (null: deletes it). */
    public void write(String path, String text) throws IOException {
        Path p = clone().resolve(path);
        if (text == null) {
            Files.deleteIfExists(p);
            return;
        }
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    public String read(String path) throws IOException {
        return Files.readString(clone().resolve(path));
    }

    /** Makes the clone's config the one in {@code configDir} (its *.yaml files replace the clone's). */
    public void replaceWith(Path configDir) throws IOException {
        try (Stream<Path> files = Files.walk(clone())) {
            for (Path p : files.filter(f -> !f.startsWith(clone().resolve(".git")) && ConfigLoader.isConfigFile(f)).toList()) {
                Files.delete(p);
            }
        }
        for (SourceFile f : ConfigLoader.readDirectory(configDir)) write(f.path(), f.text());
    }

    /** The commit main points at in the bare repository. */
    public String head() {
        return git(bare(), "rev-parse", "refs/heads/main").strip();
    }

    /**
     * A commit of the clone's current state; the push started at {@code pushedAtNanos} and returned at
     * {@code returnedAtNanos} (its hook ran by then; the hook's pings run on, detached).
     */
    public record Pushed(String commit, long pushedAtNanos, long returnedAtNanos) {}

    /** Commits everything in the clone and pushes it; the time is taken just before the push. */
    public Pushed commitAndPush(String message) {
        git(clone(), "add", "-A");
        git(clone(), "commit", "-q", "--allow-empty", "-m", message);
        String commit = git(clone(), "rev-parse", "HEAD").strip();
        long t0 = System.nanoTime();
        git(clone(), "push", "-q", "origin", "HEAD:main");
        return new Pushed(commit, t0, System.nanoTime());
    }

    /** Switches the hook off (polling only) or on; the lab's timing test compares the two. */
    public void hook(boolean on) {
        try {
            Files.setPosixFilePermissions(bare().resolve("hooks/post-receive"),
                    PosixFilePermissions.fromString(on ? "rwx------" : "rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String git(Path in, String... args) {
        String[] command = new String[args.length + 3];
        command[0] = "git";
        command[1] = "-C";
        command[2] = in.toString();
        System.arraycopy(args, 0, command, 3, args.length);
        return Netns.run(command);
    }
}
