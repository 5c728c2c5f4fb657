package io.vgw.gateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ResourceLeakDetector;
import io.vgw.api.ApiJson;
import io.vgw.api.ConfigRequest;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The control API's HTTP side on an {@link EmbeddedChannel}: the server's real pipeline (codec, aggregator,
 * handler) fed by a client codec, so requests and answers go through HTTP/1.1 bytes as on the socket.
 */
class ControlHandlerTest {
    static final Path EXAMPLES = Path.of("../examples");
    static final String SHAPE = "the body is {\"revision\": \"...\" (optional), \"force\": false (optional), "
            + "\"files\": [{\"path\": \"...\", \"text\": \"...\"}]}";

    FakeGateway gateway;
    ControlApi api;
    EmbeddedChannel server;
    EmbeddedChannel client;

    record Answer(int status, JsonNode body, String allow, boolean serverOpen) {}

    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @BeforeEach
    void channels() {
        gateway = new FakeGateway();
        open(1 << 20);
    }

    void open(int maxBody) {
        server = new EmbeddedChannel();
        api = new ControlApi(gateway);
        ControlHandler.configure(server.pipeline(), api, maxBody, Duration.ofSeconds(10));
        client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
    }

    @AfterEach
    void close() {
        server.finishAndReleaseAll();
        client.finishAndReleaseAll();
    }

    Answer exchange(FullHttpRequest request) {
        HttpUtil.setContentLength(request, request.content().readableBytes());
        request.headers().set(HttpHeaderNames.HOST, "vgw");
        assertTrue(client.writeOutbound(request));
        for (ByteBuf bytes; (bytes = client.readOutbound()) != null; ) {
            if (server.isOpen()) server.writeInbound(bytes);
            else bytes.release(); // the server answered early and closed: the rest of the body is never read
        }
        for (ByteBuf bytes; (bytes = server.readOutbound()) != null; ) client.writeInbound(bytes);
        FullHttpResponse response = client.readInbound();
        assertNotNull(response, "no answer");
        try {
            assertEquals(HttpHeaderValues.APPLICATION_JSON.toString(), response.headers().get(HttpHeaderNames.CONTENT_TYPE));
            JsonNode body = ApiJson.MAPPER.readTree(response.content().toString(StandardCharsets.UTF_8));
            return new Answer(response.status().code(), body, response.headers().get(HttpHeaderNames.ALLOW), server.isOpen());
        } finally {
            response.release();
        }
    }

    static FullHttpRequest request(HttpMethod method, String uri, String body) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    }

    static String configBody(String revision, List<SourceFile> files) {
        ObjectNode root = ApiJson.MAPPER.createObjectNode();
        if (revision != null) root.put("revision", revision);
        ArrayNode array = root.putArray("files");
        for (SourceFile f : files) array.addObject().put("path", f.path()).put("text", f.text());
        return root.toString();
    }

    static List<SourceFile> examples() {
        return ConfigLoader.readDirectory(EXAMPLES);
    }

    @Test
    void statusIsTheStatusRecordInSnakeCase() {
        Answer a = exchange(request(HttpMethod.GET, "/v1/status", ""));
        assertEquals(200, a.status());
        JsonNode s = a.body();
        assertEquals("lb1", s.path("node").asString());
        assertEquals(42, s.path("uptime_seconds").asLong());
        assertEquals(1024, s.path("connection_capacity").asLong());
        assertEquals(2, s.path("counters").path("drop_no_service").asLong());
        JsonNode server = s.path("services").path(0).path("servers").path(0);
        assertEquals("02:00:00:00:00:02", server.path("next_hop").asString());
        assertEquals(0.5, server.path("share").asDouble());
        assertTrue(s.path("services").path(0).path("servers").path(1).path("next_hop").isNull());
        assertTrue(a.serverOpen(), "HTTP/1.1 keeps the connection");
        assertEquals(200, exchange(request(HttpMethod.GET, "/v1/status?verbose=1", "")).status(), "a second request, same connection");
    }

    @Test
    void aValidConfigIsAppliedWithItsRevision() {
        Answer a = exchange(request(HttpMethod.PUT, "/v1/config", configBody("abc123", examples())));
        assertEquals(200, a.status(), a.body().toString());
        assertTrue(a.body().path("applied").asBoolean());
        assertEquals(1, a.body().path("generation").asLong());
        assertEquals("abc123", a.body().path("revision").asString());
        assertEquals(1, gateway.applied.size());
        assertEquals(4, gateway.applied.getFirst().config().services().size());
        assertEquals("abc123", gateway.applied.getFirst().revision());
    }

    /** The first apply starts the apply path's warm-up: it gives the gateway nothing, ends, and the next apply is served. */
    @Test
    void theApplyPathsWarmUpAppliesNothingAndEnds() throws InterruptedException {
        assertEquals(200, exchange(request(HttpMethod.PUT, "/v1/config", configBody("first", examples()))).status());
        Thread warmUp = api.rehearsal().thread();
        assertNotNull(warmUp, "the first apply starts the warm-up");
        assertTrue(warmUp.join(Duration.ofSeconds(30)), "the warm-up ends (30 rounds or 2 s)");
        assertEquals(1, gateway.applied.size(), "the warm-up applied nothing");
        Answer next = exchange(request(HttpMethod.PUT, "/v1/config", configBody("second", examples())));
        assertEquals(2, next.body().path("generation").asLong(), next.body().toString());
        assertSame(warmUp, api.rehearsal().thread(), "once per process");
    }

    /** A big config is not rehearsed: its own load warmed the path, and a round would take the next apply's CPU. */
    @Test
    void aBigConfigIsNotRehearsed() {
        ApplyRehearsal rehearsal = new ApplyRehearsal();
        List<SourceFile> files = IntStream.rangeClosed(0, ApplyRehearsal.MAX_FILES)
                .mapToObj(i -> new SourceFile("services/s" + i + ".yaml", "")).toList();
        rehearsal.startOnce("big", files);
        assertNull(rehearsal.thread(), ApplyRehearsal.MAX_FILES + 1 + " files start no warm-up");
    }

    @Test
    void withoutARevisionTheContentHashNamesIt() {
        List<SourceFile> files = examples();
        Answer a = exchange(request(HttpMethod.PUT, "/v1/config", configBody(null, files)));
        assertEquals(200, a.status(), a.body().toString());
        String revision = a.body().path("revision").asString();
        assertTrue(revision.matches("sha256:[0-9a-f]{12}"), revision);
        List<SourceFile> reversed = new ArrayList<>(files);
        java.util.Collections.reverse(reversed);
        assertEquals(revision, ConfigRequest.contentRevision(reversed), "independent of the order of files");
    }

    @Test
    void anInvalidConfigIsRefusedWithLocatedProblemsAndNothingApplied() {
        List<SourceFile> files = new ArrayList<>();
        for (SourceFile f : examples()) {
            files.add(f.path().equals("services/web.yaml") ? new SourceFile(f.path(), f.text().replace("weight: 50", "weight: 70000")) : f);
        }
        Answer a = exchange(request(HttpMethod.PUT, "/v1/config", configBody("bad", files)));
        assertEquals(422, a.status());
        assertFalse(a.body().path("applied").asBoolean());
        assertEquals(0, a.body().path("generation").asLong(), "the live generation");
        JsonNode p = a.body().path("problems").path(0);
        assertEquals("services/web.yaml", p.path("file").asString());
        assertEquals(20, p.path("line").asInt());
        assertTrue(p.path("column").asInt() > 0);
        assertEquals("servers[2].weight", p.path("field").asString());
        assertTrue(p.path("message").asString().contains("65535"), p.toString());
        assertTrue(gateway.applied.isEmpty());
    }

    @Test
    void aRefusalByTheGatewayIsAConflict() {
        exchange(request(HttpMethod.PUT, "/v1/config", configBody("one", examples())));
        gateway.refuse = "cluster.yaml gives node lb1 another address";
        Answer a = exchange(request(HttpMethod.PUT, "/v1/config", configBody("two", examples())));
        assertEquals(409, a.status());
        assertFalse(a.body().path("applied").asBoolean());
        assertEquals(1, a.body().path("generation").asLong());
        assertEquals("cluster.yaml gives node lb1 another address", a.body().path("refused").path(0).asString());
    }

    @Test
    void unreadableBodiesAreBadRequests() {
        Answer malformed = exchange(request(HttpMethod.PUT, "/v1/config", "{\"files\": [}"));
        assertEquals(400, malformed.status());
        assertTrue(malformed.body().path("error").asString().startsWith("malformed JSON in 'files': unexpected character at line 1, column 12: the body is {"),
                malformed.body().toString());

        assertEquals(400, exchange(request(HttpMethod.PUT, "/v1/config", "")).status());
        assertEquals(400, exchange(request(HttpMethod.PUT, "/v1/config", "[]")).status());
        Answer typo = exchange(request(HttpMethod.PUT, "/v1/config", "{\"file\": []}"));
        assertEquals("unknown field 'file': " + SHAPE, typo.body().path("error").asString());
        Answer noText = exchange(request(HttpMethod.PUT, "/v1/config", "{\"files\": [{\"path\": \"a.yaml\"}]}"));
        assertEquals("files[0] needs both 'path' and 'text'", noText.body().path("error").asString());
        Answer twice = exchange(request(HttpMethod.PUT, "/v1/config",
                "{\"files\": [{\"path\": \"a.yaml\", \"text\": \"\"}, {\"path\": \"a.yaml\", \"text\": \"\"}]}"));
        assertEquals(400, twice.status());
        assertTrue(gateway.applied.isEmpty());
    }

    @Test
    void aGatewayThatAnnouncesNothingSaysSoAndCannotDrain() {
        Answer announce = exchange(request(HttpMethod.GET, "/v1/announce", ""));
        assertEquals(404, announce.status());
        assertEquals("this gateway announces nothing: add `announce:` to its gateway.yaml", announce.body().path("error").asString());
        Answer drain = exchange(request(HttpMethod.POST, "/v1/drain", ""));
        assertEquals(409, drain.status());
        assertTrue(drain.body().path("error").asString().contains("stop it (SIGTERM) instead"), drain.body().toString());
        assertEquals("POST", exchange(request(HttpMethod.GET, "/v1/drain", "")).allow());
    }

    @Test
    void unknownPathsAndWrongMethods() {
        Answer missing = exchange(request(HttpMethod.GET, "/v2/status", ""));
        assertEquals(404, missing.status());
        assertEquals("no endpoint /v2/status; the API has GET /v1/status, GET /v1/revision, GET /v1/config, PUT /v1/config, "
                + "GET /v1/announce and POST /v1/drain", missing.body().path("error").asString());
        Answer post = exchange(request(HttpMethod.POST, "/v1/config", "{}"));
        assertEquals(405, post.status());
        assertEquals("GET, PUT", post.allow());
        Answer put = exchange(request(HttpMethod.PUT, "/v1/status", ""));
        assertEquals(405, put.status());
        assertEquals("GET", put.allow());
        assertNull(exchange(request(HttpMethod.GET, "/v1/status", "")).allow());
    }

    @Test
    void aBodyOverTheLimitIs413AndTheConnectionCloses() {
        close();
        open(1024);
        FullHttpRequest big = request(HttpMethod.PUT, "/v1/config", configBody("big", List.of(new SourceFile("a.yaml", "#".repeat(2000)))));
        big.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        Answer a = exchange(big);
        assertEquals(413, a.status());
        assertEquals("request body over 1024 bytes; a config is expected to be far smaller (each file at most 1 MiB); split it or remove what is not needed",
                a.body().path("error").asString());
        assertFalse(a.serverOpen());
        assertTrue(gateway.applied.isEmpty());
    }

    @Test
    void aBodyOverTheLimitAnnouncedWithExpectContinueIsRefusedBeforeItIsSent() {
        close();
        open(1024);
        FullHttpRequest big = request(HttpMethod.PUT, "/v1/config", "");
        HttpUtil.set100ContinueExpected(big, true);
        big.headers().set(HttpHeaderNames.HOST, "vgw").setInt(HttpHeaderNames.CONTENT_LENGTH, 5000);
        // only the head goes out: a client waits for 100 Continue before the body
        client.writeOutbound(big);
        for (ByteBuf bytes; (bytes = client.readOutbound()) != null; ) server.writeInbound(bytes);
        for (ByteBuf bytes; (bytes = server.readOutbound()) != null; ) client.writeInbound(bytes);
        FullHttpResponse response = client.readInbound();
        try {
            assertEquals(413, response.status().code());
            assertTrue(response.content().toString(StandardCharsets.UTF_8).contains("request body over 1024 bytes"));
        } finally {
            response.release();
        }
    }

    /** A config body with no files on the list of examples: only services named in {@code keep} stay. */
    static List<SourceFile> examplesKeeping(String... keep) {
        List<String> kept = List.of(keep);
        return examples().stream()
                .filter(f -> !f.path().startsWith("services/") || kept.stream().anyMatch(k -> f.path().equals("services/" + k + ".yaml")))
                .toList();
    }

    @Test
    void anErrorWhileApplyingIsAnsweredAndTheApiGoesOn() {
        // before: only RuntimeException was caught, so the client got no answer and nothing was logged
        gateway.fail = new StackOverflowError();
        Answer overflow = exchange(request(HttpMethod.PUT, "/v1/config", configBody("deep", examples())));
        assertEquals(500, overflow.status());
        assertEquals("internal error: java.lang.StackOverflowError; the live config is unchanged (see the gateway's log)",
                overflow.body().path("error").asString());

        gateway.fail = new OutOfMemoryError("Java heap space");
        Answer oom = exchange(request(HttpMethod.PUT, "/v1/config", configBody("huge", examples())));
        assertEquals(507, oom.status());
        assertTrue(oom.body().path("error").asString().startsWith("the gateway ran out of memory (max heap "), oom.body().toString());
        assertTrue(oom.body().path("error").asString().contains("the live config is unchanged"), oom.body().toString());

        assertEquals(200, exchange(request(HttpMethod.PUT, "/v1/config", configBody("fine", examples()))).status());
        assertEquals(1, gateway.live().generation());
    }

    @Test
    void malformedJsonIsDescribedInWordsWithoutParserInternals() {
        for (String body : new String[] {"{\"files\": [{\"path\": \"a.yaml\", \"text\": tru", "{\"revision\": \"r\", \"files\": [", "{\"files\": [{\"path\": 'a'}]}", "\u0000\u0001"}) {
            Answer a = exchange(request(HttpMethod.PUT, "/v1/config", body));
            assertEquals(400, a.status(), body);
            String error = a.body().path("error").asString();
            assertTrue(error.startsWith("malformed JSON in ") || error.startsWith("expected a JSON object"), error);
            for (String internal : new String[] {"tools.jackson", "Source:", "REDACTED", "code ", "token", "JsonToken", "Unexpected"}) {
                assertFalse(error.contains(internal), internal + " leaks in: " + error);
            }
        }
        Answer truncated = exchange(request(HttpMethod.PUT, "/v1/config", "{\"revision\": \"r\", \"files\": ["));
        assertTrue(truncated.body().path("error").asString().startsWith("malformed JSON in 'files': the body ends too early (truncated?)"),
                truncated.body().toString());
        assertTrue(gateway.applied.isEmpty());
    }

    @Test
    void aFileOverTheLimitIsRefusedWhileItIsRead() {
        close();
        open(8 << 20);
        String big = "#".repeat((1 << 20) + 10);
        Answer a = exchange(request(HttpMethod.PUT, "/v1/config", configBody("big",
                List.of(new SourceFile("cluster.yaml", "cluster: x\n"), new SourceFile("services/huge.yaml", big)))));
        assertEquals(413, a.status());
        assertEquals("files[1] is over 1024 KiB; split it into several files", a.body().path("error").asString());
        assertTrue(gateway.applied.isEmpty());
    }

    @Test
    void badRevisionsAreRefusedBeforeAnythingElse() {
        Answer newline = exchange(request(HttpMethod.PUT, "/v1/config", configBody("abc\nINFO forged log line", examples())));
        assertEquals(400, newline.status());
        assertEquals("revision has a line break at position 4; use printable ASCII (a Git commit id, a tag, a short name)",
                newline.body().path("error").asString());
        Answer huge = exchange(request(HttpMethod.PUT, "/v1/config", configBody("r".repeat(100_000), examples())));
        assertEquals(400, huge.status());
        assertEquals("revision is 100000 characters long; at most 200 are allowed (a Git commit id, a tag, a short name)",
                huge.body().path("error").asString());
        assertEquals(400, exchange(request(HttpMethod.PUT, "/v1/config", configBody("caf\u00e9", examples()))).status());
        assertEquals(200, exchange(request(HttpMethod.PUT, "/v1/config", configBody("r".repeat(200), examples()))).status());
        assertEquals(1, gateway.applied.size());
    }

    @Test
    void theSameRevisionWithTheSameFilesChangesNothing() {
        assertEquals(1, exchange(request(HttpMethod.PUT, "/v1/config", configBody("v1", examples()))).body().path("generation").asLong());
        List<SourceFile> reordered = new ArrayList<>(examples());
        java.util.Collections.reverse(reordered);
        Answer again = exchange(request(HttpMethod.PUT, "/v1/config", configBody("v1", reordered)));
        assertEquals(200, again.status());
        assertTrue(again.body().path("applied").asBoolean());
        assertTrue(again.body().path("unchanged").asBoolean());
        assertEquals(1, again.body().path("generation").asLong(), "not bumped");
        assertEquals(1, gateway.applied.size(), "the gateway was not asked again");

        Answer other = exchange(request(HttpMethod.PUT, "/v1/config", configBody("v1", examplesKeeping("web", "api"))));
        assertEquals(409, other.status());
        assertTrue(other.body().path("refused").path(0).asString().startsWith("revision v1 already runs here with other files"), other.body().toString());

        Answer hashed = exchange(request(HttpMethod.PUT, "/v1/config", configBody(null, examples())));
        assertEquals(2, hashed.body().path("generation").asLong());
        Answer hashedAgain = exchange(request(HttpMethod.PUT, "/v1/config", configBody(null, examples())));
        assertTrue(hashedAgain.body().path("unchanged").asBoolean());
        assertEquals(2, hashedAgain.body().path("generation").asLong());
    }

    @Test
    void removingMostServicesNeedsForce() {
        exchange(request(HttpMethod.PUT, "/v1/config", configBody("all", examples())));
        Answer half = exchange(request(HttpMethod.PUT, "/v1/config", configBody("half", examplesKeeping("web", "api"))));
        assertEquals(200, half.status(), "removing half is allowed: " + half.body());

        exchange(request(HttpMethod.PUT, "/v1/config", configBody("all-again", examples())));
        Answer most = exchange(request(HttpMethod.PUT, "/v1/config", configBody("one", examplesKeeping("web"))));
        assertEquals(409, most.status());
        assertEquals("this config removes more than half of the services (3 of 4: api, echo, echo-udp); if that is "
                + "intended, apply with force (vgw apply --force)", most.body().path("refused").path(0).asString());
        assertEquals(3, most.body().path("generation").asLong(), "live generation unchanged");

        Answer none = exchange(request(HttpMethod.PUT, "/v1/config", configBody("none", examplesKeeping())));
        assertEquals(409, none.status());
        assertTrue(none.body().path("refused").path(0).asString().startsWith("this config removes every service (4 of 4: "), none.body().toString());

        String forced = configBody("one", examplesKeeping("web")).replaceFirst("\\{", "{\"force\": true, ");
        Answer ok = exchange(request(HttpMethod.PUT, "/v1/config", forced));
        assertEquals(200, ok.status(), ok.body().toString());
        assertEquals(1, gateway.live().config().services().size());
    }

    @Test
    void theLiveConfigIsServedWithItsRevision() {
        Answer before = exchange(request(HttpMethod.GET, "/v1/config", ""));
        assertEquals(200, before.status());
        assertEquals(0, before.body().path("generation").asLong());
        assertEquals(0, before.body().path("files").size());

        exchange(request(HttpMethod.PUT, "/v1/config", configBody("r7", examples())));
        Answer live = exchange(request(HttpMethod.GET, "/v1/config", ""));
        assertEquals("r7", live.body().path("revision").asString());
        assertEquals(1, live.body().path("generation").asLong());
        assertEquals(examples().size(), live.body().path("files").size());
        assertEquals(examples().getFirst().text(), live.body().path("files").path(0).path("text").asString());
    }

    @Test
    void theRevisionIsWhatRunsAndNothingElse() {
        Answer before = exchange(request(HttpMethod.GET, "/v1/revision", ""));
        assertEquals(200, before.status());
        assertEquals("{\"revision\":\"\",\"generation\":0}", before.body().toString(), "no config yet");

        exchange(request(HttpMethod.PUT, "/v1/config", configBody("r8", examples())));
        Answer live = exchange(request(HttpMethod.GET, "/v1/revision", ""));
        assertEquals("{\"revision\":\"r8\",\"generation\":1}", live.body().toString());
        assertEquals("GET", exchange(request(HttpMethod.PUT, "/v1/revision", "")).allow());
    }
}
