package io.vgw.reconciler.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vgw.reconciler.git.GitMirror;
import io.vgw.reconciler.loop.ConfigRepo;
import io.vgw.reconciler.loop.FakeGateway;
import io.vgw.reconciler.loop.Reconciler;
import io.vgw.reconciler.loop.ReconcilerMetrics;
import io.vgw.reconciler.loop.ReconcilerSettings;
import io.vgw.reconciler.state.StateStore;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The webhook (HMAC, bounded body), the control socket and the metrics endpoint, over real sockets. */
class ReconcilerServerTest {
    static final byte[] SECRET = "0123456789abcdef-secret".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    @Test
    void webhookControlSocketAndMetrics() throws Exception {
        FakeGateway gateway = new FakeGateway();
        try (ConfigRepo repo = new ConfigRepo(tmp.resolve("repo"))) {
            Path file = tmp.resolve("reconcile.yaml");
            Files.writeString(file, """
                    reconcile: lb1
                    repository: {url: "%s", path: config}
                    state_dir: state
                    poll: {interval: 1h}
                    """.formatted(repo.url()));
            ReconcilerSettings s = ReconcilerSettings.of(ReconcilerSettings.read(file), tmp);
            ReconcilerMetrics metrics = new ReconcilerMetrics();
            try (GitMirror mirror = GitMirror.open(s.stateDir().resolve("mirror"), s.remote());
                 Reconciler reconciler = new Reconciler(s, mirror, null, gateway, StateStore.open(s.stateDir()),
                         Clock.systemUTC(), metrics).start();
                 ReconcilerServer server = ReconcilerServer.start(reconciler, metrics, tmp.resolve("run/lb1.sock"),
                         new InetSocketAddress("127.0.0.1", 0), SECRET, new InetSocketAddress("127.0.0.1", 0));
                 HttpClient http = HttpClient.newHttpClient()) {
                ReconcilerClient client = new ReconcilerClient(server.socket(), Duration.ofSeconds(60));
                JsonNode now = client.post("reconcile");
                assertEquals(repo.head(), now.path("status").path("applied").path("commit").asString(), now.toString());
                assertTrue(now.path("status").path("next_poll").asString().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), now.toString());

                // the webhook: a push, signed; unsigned and oversized requests are refused and trigger nothing
                String next = repo.edit("reweight", "services/web.yaml", "weight: 50}", "weight: 60}");
                URI hook = URI.create("http://127.0.0.1:" + server.address(1).getPort() + "/hook");
                byte[] payload = "{\"ref\":\"refs/heads/main\"}".getBytes(StandardCharsets.UTF_8);
                assertEquals(401, post(http, hook, payload, "sha256=" + "00".repeat(32)).statusCode());
                assertEquals(401, post(http, hook, payload, null).statusCode());
                assertEquals(413, post(http, hook, new byte[ReconcilerServer.MAX_HOOK_BODY + 1], "sha256=00").statusCode());
                assertEquals(1, gateway.generation, "nothing triggered yet");
                var accepted = post(http, hook, payload, "sha256=" + HexFormat.of().formatHex(ReconcilerServer.hmac(SECRET, payload)));
                assertEquals(202, accepted.statusCode(), accepted.body());
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!next.equals(gateway.revision)) {
                    if (System.nanoTime() > deadline) fail("the webhook's fetch did not apply " + next);
                    Thread.onSpinWait();
                }

                JsonNode suspended = client.post("suspend");
                assertTrue(suspended.path("status").path("suspended").asBoolean());
                JsonNode resumed = client.post("resume");
                assertEquals("UP_TO_DATE", resumed.path("attempt").path("result").asString(), resumed.toString());
                JsonNode pinMissing = client.pin("nope");
                assertEquals("FAILED", pinMissing.path("attempt").path("result").asString());
                assertTrue(pinMissing.path("attempt").path("message").asString().startsWith("no commit 'nope' in "), pinMissing.toString());
                assertTrue(pinMissing.path("status").path("pinned").isNull(), "a failed pin pins nothing");

                String scrape = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address(2).getPort()
                        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(scrape.contains("vgw_reconcile_attempts_total{result=\"applied\"} 2"), scrape);
                assertTrue(scrape.contains("vgw_reconcile_applied_revision_info{ref=\"main\",revision=\"" + next + "\"} 1"), scrape);
                assertTrue(scrape.contains("vgw_reconcile_step_duration_seconds_count{step=\"apply\"} 2"), scrape);
                assertTrue(scrape.contains("vgw_reconcile_suspended 0"), scrape);
            }
        }
    }

    static HttpResponse<String> post(HttpClient http, URI uri, byte[] body, String signature) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (signature != null) b.header(ReconcilerServer.SIGNATURE_HEADER, signature);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
