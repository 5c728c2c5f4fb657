package io.vgw.reconciler.git;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fetching over real SSH and HTTP servers on loopback, and what a dead or silent remote does to a fetch. */
class GitTransportTest {
    /** For remotes that work: generous, as the first ssh login of a cold JVM on a busy machine takes seconds. */
    private static final Duration WORKING = Duration.ofSeconds(30);
    /** For remotes that fail. */
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void sshWithKnownHostsAndIdentityFromTheSettings() throws Exception {
        GitFixture repo = new GitFixture(dir);
        String head = repo.commit("lb/cluster.yaml", "cluster: a\n");
        Path key = dir.resolve("id_ed25519");
        repo.run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vgw", "-f", key.toString());
        try (SshGitServer server = new SshGitServer(dir, dir.resolve("id_ed25519.pub"))) {
            Path knownHosts = Files.writeString(dir.resolve("known_hosts"), server.knownHostsLine() + "\n");
            RemoteSettings settings = new RemoteSettings(server.url("origin.git"), WORKING, knownHosts, key, null, null, 0);
            try (GitMirror mirror = GitMirror.open(dir.resolve("mirror.git"), settings)) {
                assertEquals(head, mirror.fetch("main").name());
                String next = repo.commit("lb/cluster.yaml", "cluster: b\n");
                assertEquals(next, mirror.fetch("main").name());
            }

            // A server whose key is not in known_hosts is refused, never asked about.
            Path otherHosts = Files.writeString(dir.resolve("other_hosts"), "");
            RemoteSettings unknown = new RemoteSettings(server.url("origin.git"), WORKING, otherHosts, key, null, null, 0);
            try (GitMirror mirror = GitMirror.open(dir.resolve("mirror2.git"), unknown)) {
                var e = assertThrows(GitException.class, () -> mirror.fetch("main"));
                assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
                assertTrue(e.getMessage().toLowerCase().contains("host"), e.getMessage());
            }
        }
    }

    @Test
    void httpWithBasicAuthenticationFromAPasswordFile() throws Exception {
        GitFixture repo = new GitFixture(dir);
        String head = repo.commit("lb/cluster.yaml", "cluster: a\n");
        Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
        try (HttpGitServer server = new HttpGitServer(dir, "vgw", "s3cret")) {
            RemoteSettings settings = new RemoteSettings(server.url("origin.git"), WORKING, null, null, "vgw", token, 0);
            try (GitMirror mirror = GitMirror.open(dir.resolve("mirror.git"), settings)) {
                assertEquals(head, mirror.fetch("main").name());
                String next = repo.commit("lb/cluster.yaml", "cluster: b\n");
                assertEquals(next, mirror.fetch("main").name());
            }
            try (GitMirror mirror = GitMirror.open(dir.resolve("mirror2.git"),
                    new RemoteSettings(server.url("origin.git"), WORKING))) {
                var e = assertThrows(GitException.class, () -> mirror.fetch("main"));
                assertTrue(e.getMessage().contains("uthentication"), e.getMessage());
            }
        }
    }

    @Test
    void aRemoteThatAcceptsAndNeverAnswersIsBoundedByTheTimeout() throws Exception {
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        List<Socket> held = new CopyOnWriteArrayList<>();
        Thread acceptor = Thread.ofVirtual().start(() -> {
            try {
                while (true) held.add(silent.accept()); // accepted, never read from or answered
            } catch (IOException closed) {
                // the test is over
            }
        });
        try {
            Path key = dir.resolve("id_ed25519");
            new GitFixture(dir).run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString());
            Path knownHosts = Files.writeString(dir.resolve("known_hosts"), "");
            int port = silent.getLocalPort();
            for (String url : List.of("http://127.0.0.1:" + port + "/origin.git", "ssh://git@127.0.0.1:" + port + "/origin.git")) {
                RemoteSettings settings = new RemoteSettings(url, TIMEOUT, knownHosts, key, null, null, 0);
                try (GitMirror mirror = GitMirror.open(Files.createTempDirectory(dir, "mirror"), settings)) {
                    long start = System.nanoTime();
                    var e = assertThrows(GitException.class, () -> mirror.fetch("main"));
                    Duration took = Duration.ofNanos(System.nanoTime() - start);
                    assertTrue(took.compareTo(TIMEOUT.multipliedBy(5)) < 0, url + " took " + took);
                    assertTrue(e.getMessage().startsWith("fetching " + url + " failed: "), e.getMessage());
                    assertTrue(e.getMessage().toLowerCase().contains("time"), e.getMessage());
                }
            }
        } finally {
            silent.close();
            acceptor.join();
            for (Socket socket : held) socket.close();
        }
    }

    @Test
    void anUnreachableRemoteIsAClearError() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        for (String url : List.of("http://127.0.0.1:" + port + "/origin.git", "ssh://git@127.0.0.1:" + port + "/origin.git")) {
            try (GitMirror mirror = GitMirror.open(Files.createTempDirectory(dir, "mirror"), new RemoteSettings(url, TIMEOUT))) {
                var e = assertThrows(GitException.class, () -> mirror.fetch("main"));
                assertTrue(e.getMessage().startsWith("fetching " + url + " failed: "), e.getMessage());
                assertTrue(e.getMessage().contains("refused"), e.getMessage());
            }
        }
    }
}
