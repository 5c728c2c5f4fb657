package io.vgw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vgw.reconciler.apply.ControlClient;
import io.vgw.reconciler.server.ReconcilerServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.RefUpdate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code vgw reconcile} as an operator runs it (needs root: the gateway is a real DPDK daemon on a net_pcap vdev):
 * the gateway and the reconciler as separate processes, a real repository over file://. Commits that add a server,
 * reweight, drain, remove and add a service reach the gateway; hostile commits are refused with their reason while
 * the gateway keeps its generation; a restarted gateway gets its config back with the remote gone; a reconciler
 * killed with -9 in the middle of an apply converges and applies once.
 */
class ReconcileEndToEndTest {
    static final Duration TIMEOUT = Duration.ofSeconds(120);
    static final String SECRET = "e2e-webhook-secret-0123456789";

    @TempDir
    Path tmp;
    final List<Process> processes = new ArrayList<>();
    Path gatewaySocket;
    Path controlSocket;
    Path repoDir;
    Git git;
    int webhookPort;
    List<String> reconcileArgs;

    @AfterEach
    void stopEverything() {
        for (Process p : processes) p.destroyForcibly();
        for (Process p : processes) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (git != null) git.close();
    }

    @Test
    void commitsReachTheGatewayAndBadOnesLeaveItAsItWas() throws Exception {
        GatewayEndToEndTest.requireRoot();
        setUp();
        String head = head();
        waitFor(() -> head.equals(live().path("revision").asString("")), "the first revision applied");
        assertEquals(1, live().path("generation").asLong());

        // Every kind of change, each applied as one generation
        String[][] changes = {
                {"add a server", "  - {address: 203.0.113.13, weight: 50}    # a smaller machine: half the share",
                        "  - {address: 203.0.113.13, weight: 50}\n  - {address: 203.0.113.14, weight: 100}"},
                {"reweight", "{address: 203.0.113.14, weight: 100}", "{address: 203.0.113.14, weight: 60}"},
                {"drain", "{address: 203.0.113.14, weight: 60}", "{address: 203.0.113.14, weight: 0}"},
                {"remove a server", "\n  - {address: 203.0.113.14, weight: 0}", ""}};
        long generation = 1;
        for (String[] c : changes) {
            String commit = edit(c[0], "config/services/web.yaml", c[1], c[2]);
            CliTest.Run now = CliTest.run("reconcile", "now", "--socket", controlSocket.toString());
            assertEquals(0, now.code(), c[0] + ": " + now.out() + now.err());
            assertEquals(commit, live().path("revision").asString(), c[0]);
            assertEquals(++generation, live().path("generation").asLong(), c[0]);
        }
        JsonNode web = GatewayEndToEndTest.service(live(), "web");
        assertEquals(3, web.path("servers").size(), web.toString());
        // The same commit as the reconciler's own test adds.
        write("config/services/dns.yaml", Files.readString(Path.of("../ci/scenarios/add-a-service/services/dns.yaml")));
        commit("add a service");
        assertEquals(0, CliTest.run("reconcile", "now", "--socket", controlSocket.toString()).code());
        assertEquals(5, live().path("services").size());
        generation = live().path("generation").asLong();
        String good = live().path("revision").asString();

        // Hostile commits: refused with a reason, the gateway untouched, the daemon alive
        write("config/services/web.yaml", "service: web\nvip: [192.0.2.10\n");
        commit("broken yaml");
        refused("broken yaml", "validate", "services/web.yaml:", generation, good);
        git.checkout().setStartPoint(good).addPath("config/services/web.yaml").call();
        write("config/services/web.yaml", read("config/services/web.yaml").replace("weight: 50}", "weight: 70000}"));
        commit("schema error");
        refused("schema error", "validate", "services/web.yaml:20:", generation, good);
        git.checkout().setStartPoint(good).addPath("config/services/web.yaml").call();
        for (int f = 0; f < 10; f++) {
            StringBuilder many = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                int n = f * 1000 + i;
                many.append("---\nservice: s").append(n).append("\nvip: 10.").append(n / 250).append('.').append(n % 250 + 1)
                        .append(".1\nport: 80\nprotocol: tcp\nmaglev: {table_size: 101}\nhealth: {type: tcp}\n")
                        .append("servers: [{address: 203.0.113.11}]\n");
            }
            write("config/many/" + f + ".yaml", many.toString());
        }
        commit("10,000 services");
        refused("10,000 services", "apply", "", generation, good);
        git.rm().addFilepattern("config/many").call();
        String fixed = commit("back to sane");
        assertEquals(0, CliTest.run("reconcile", "now", "--socket", controlSocket.toString()).code());
        assertEquals(fixed, live().path("revision").asString());
        generation = live().path("generation").asLong();
        forceMain(head);
        refused("force-push", "history", "does not contain the applied", generation, fixed);

        CliTest.Run status = CliTest.run("reconcile", "status", "--socket", controlSocket.toString());
        assertEquals(0, status.code(), status.err());
        assertTrue(status.out().startsWith("reconciler lb1  follows main of "), status.out());
        assertTrue(status.out().contains("applied    " + fixed.substring(0, 10)), status.out());
        assertTrue(status.out().contains("last error " + head.substring(0, 10) + " at history: "), status.out());

        // The gateway restarts while the remote is gone: its config comes back from the state directory
        Files.move(repoDir, tmp.resolve("repo-away"));
        Process gateway = processes.removeFirst();
        gateway.destroy();
        gateway.waitFor();
        startGateway();
        waitFor(() -> fixed.equals(live().path("revision").asString("")), "the config re-applied after the gateway restart");
        assertEquals(1, live().path("generation").asLong());
        Files.move(tmp.resolve("repo-away"), repoDir);
    }

    @Test
    void killedWithMinusNineMidApplyConvergesAndAppliesOnce() throws Exception {
        GatewayEndToEndTest.requireRoot();
        setUp();
        String first = head();
        waitFor(() -> first.equals(live().path("revision").asString("")), "the first revision applied");
        // A big change, so that the apply takes long enough to be killed in the middle of it
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            big.append("---\nservice: big").append(i).append("\nvip: 192.0.2.").append(100 + i)
                    .append("\nport: 80\nprotocol: tcp\nmaglev: {table_size: 1048573}\nhealth: {type: tcp}\n")
                    .append("servers: [{address: 203.0.113.11}, {address: 203.0.113.12}, {address: 203.0.113.13}]\n");
        }
        write("config/services/big.yaml", big.toString());
        String next = commit("big");
        Process reconciler = processes.getLast();
        hook();
        Path pending = tmp.resolve("state/pending.json");
        waitFor(() -> Files.exists(pending) || next.equals(live().path("revision").asString("")), "the apply started");
        reconciler.destroyForcibly().waitFor();
        processes.remove(reconciler);
        boolean cut = Files.exists(pending);
        startReconciler();
        waitFor(() -> next.equals(live().path("revision").asString("")), "the big revision applied after the restart");
        waitFor(() -> !Files.exists(pending), "pending settled");
        // the restarted reconciler reports what it settled once its first pass is done, not at once
        waitFor(() -> next.equals(reconcileStatus().path("applied").path("commit").asString()), "the big revision reported applied");
        assertEquals(2, live().path("generation").asLong(), "applied once (killed with pending.json present: " + cut + ")");
    }

    void refused(String what, String step, String reason, long generation, String live) {
        CliTest.Run r = CliTest.run("reconcile", "now", "--socket", controlSocket.toString(), "--output", "json");
        assertEquals(1, r.code(), what + ": " + r.out() + r.err());
        JsonNode a = JsonMapper.shared().readTree(r.out()).path("attempt");
        assertEquals(step, a.path("step").asString(), what + ": " + a);
        assertTrue((a.path("message").asString() + a.path("problems")).contains(reason), what + ": " + a);
        assertEquals(generation, live().path("generation").asLong(), what + ": generation unchanged");
        assertEquals(live, live().path("revision").asString(), what + ": revision unchanged");
        assertEquals("SKIPPED", JsonMapper.shared().readTree(CliTest.run("reconcile", "now", "--socket",
                controlSocket.toString(), "--output", "json").out()).path("attempt").path("result").asString(), what + ": not retried");
    }

    void setUp() throws Exception {
        repoDir = tmp.resolve("repo");
        git = Git.init().setDirectory(repoDir.toFile()).setInitialBranch("main").call();
        CliTest.copy(CliTest.EXAMPLES, repoDir.resolve("config"));
        commit("the examples");
        gatewaySocket = tmp.resolve("run/lb1.sock");
        controlSocket = tmp.resolve("run/reconcile.sock");
        Files.writeString(tmp.resolve("hook.secret"), SECRET);
        try (ServerSocket s = new ServerSocket(0)) {
            webhookPort = s.getLocalPort();
        }
        startGateway();
        reconcileArgs = List.of("reconcile", "--name", "lb1", "--repo", repoDir.resolve(".git").toUri().toString(),
                "--path", "config", "--socket", gatewaySocket.toString(), "--state-dir", tmp.resolve("state").toString(),
                "--control-socket", controlSocket.toString(), "--interval", "1h", "--webhook", "127.0.0.1:" + webhookPort,
                "--webhook-secret-file", tmp.resolve("hook.secret").toString());
        startReconciler();
    }

    void startGateway() throws Exception {
        Path in = tmp.resolve("in.pcap");
        GatewayEndToEndTest.writePcap(in, List.of(GatewayEndToEndTest.arp(1)));
        String hugeDir = System.getProperty("vgw.test.hugeDir", System.getenv("VGW_TEST_HUGEDIR"));
        Files.writeString(tmp.resolve("gateway.yaml"), """
                gateway: lb1
                address: 100.64.1.2
                eal: {lcores: "0", memory_mb: 512%s}
                port:
                  device: "net_pcap_vgw_rec,rx_pcap=%s,tx_pcap=%s"
                  next_hop: "02:00:00:00:00:fe"
                  descriptors: 512
                conn_table: {entries: 4096}
                max_servers: 64
                health: {enabled: false}
                control: {socket: %s}
                """.formatted(hugeDir == null || hugeDir.isBlank() ? "" : ", huge_dir: " + hugeDir, in,
                tmp.resolve("out.pcap"), gatewaySocket));
        start("gateway", List.of("gateway", "--config", tmp.resolve("gateway.yaml").toString()));
        waitFor(() -> {
            try (ControlClient c = new ControlClient(gatewaySocket, Duration.ofSeconds(5))) {
                c.status();
                return true;
            } catch (IOException e) {
                return false;
            }
        }, "the gateway answers");
    }

    void startReconciler() throws Exception {
        start("reconcile", reconcileArgs);
        waitFor(() -> Files.exists(controlSocket)
                && CliTest.run("reconcile", "status", "--socket", controlSocket.toString()).code() == 0, "the reconciler answers");
    }

    void start(String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(LabCommand.self());
        command.addAll(args);
        Path log = tmp.resolve(name + "-" + processes.size() + ".log");
        processes.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start());
    }

    void hook() throws Exception {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        String signature = "sha256=" + HexFormat.of().formatHex(ReconcilerServer.hmac(SECRET.getBytes(StandardCharsets.UTF_8), body));
        try (HttpClient http = HttpClient.newHttpClient()) {
            var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webhookPort + "/hook"))
                    .header(ReconcilerServer.SIGNATURE_HEADER, signature).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, r.statusCode(), r.body());
        }
    }

    JsonNode live() {
        try (ControlClient c = new ControlClient(gatewaySocket, Duration.ofSeconds(30))) {
            return io.vgw.api.ApiJson.MAPPER.valueToTree(c.status());
        } catch (IOException e) {
            return JsonMapper.shared().createObjectNode();
        }
    }

    String head() throws IOException {
        return git.getRepository().resolve("refs/heads/main").name();
    }

    String read(String path) throws IOException {
        return Files.readString(repoDir.resolve(path));
    }

    void write(String path, String text) throws IOException {
        Files.createDirectories(repoDir.resolve(path).getParent());
        Files.writeString(repoDir.resolve(path), text);
    }

    String edit(String message, String path, String from, String to) throws Exception {
        String text = read(path);
        assertTrue(text.contains(from), path + " has " + from);
        write(path, text.replace(from, to));
        return commit(message);
    }

    String commit(String message) throws Exception {
        git.add().addFilepattern(".").call();
        return git.commit().setAll(true).setMessage(message).setSign(false).setAuthor("t", "t@example.org")
                .setCommitter("t", "t@example.org").call().name();
    }

    void forceMain(String commit) throws IOException {
        RefUpdate u = git.getRepository().updateRef("refs/heads/main");
        u.setNewObjectId(ObjectId.fromString(commit));
        u.setForceUpdate(true);
        u.update();
    }

    void waitFor(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            for (Process p : processes) {
                if (!p.isAlive()) fail(what + ": a daemon exited " + p.exitValue() + "; see " + tmp + "/*.log");
            }
            if (System.nanoTime() > deadline) fail(what + " within " + TIMEOUT);
            Thread.onSpinWait();
        }
    }

    private JsonNode reconcileStatus() {
        return JsonMapper.shared().readTree(
                CliTest.run("reconcile", "status", "--socket", controlSocket.toString(), "--output", "json").out());
    }
}
