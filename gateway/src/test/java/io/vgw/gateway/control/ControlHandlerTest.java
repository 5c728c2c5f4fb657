package io.vgw.gateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
        ControlHandler.configure(server.pipeline(), gateway, maxBody, Duration.ofSeconds(10));
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
    void unknownPathsAndWrongMethods() {
        Answer missing = exchange(request(HttpMethod.GET, "/v2/status", ""));
        assertEquals(404, missing.status());
        assertEquals("no endpoint /v2/status; the API has GET /v1/status, GET /v1/config and PUT /v1/config", missing.body().path("error").asString());
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
}
