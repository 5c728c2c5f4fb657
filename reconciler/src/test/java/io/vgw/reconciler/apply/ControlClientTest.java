package io.vgw.reconciler.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.vgw.api.ApplyReply;
import io.vgw.api.ConfigRequest;
import io.vgw.api.LiveRevision;
import io.vgw.api.Status;
import io.vgw.config.load.SourceFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client against a stand-in gateway on a real unix socket that answers what the API's JSON contract says
 * (the reconciler may not use the gateway module, so the contract is written out here).
 */
class ControlClientTest {
    @TempDir
    Path tmp;

    record Seen(String method, String uri, String body) {}

    record Canned(int status, String body) {}

    final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    volatile Canned next = new Canned(200, "{}");
    EventLoopGroup group;
    Channel server;

    Path serve() throws Exception {
        Path socket = tmp.resolve("gw.sock");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        server = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest r) {
                                        seen.add(new Seen(r.method().name(), r.uri(), r.content().toString(StandardCharsets.UTF_8)));
                                        Canned c = next;
                                        if (c == null) return; // never answer
                                        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.valueOf(c.status()), Unpooled.copiedBuffer(c.body(), StandardCharsets.UTF_8));
                                        HttpUtil.setContentLength(response, response.content().readableBytes());
                                        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                                        ctx.writeAndFlush(response);
                                    }
                                });
                    }
                })
                .bind(new DomainSocketAddress(socket.toFile())).sync().channel();
        return socket;
    }

    @AfterEach
    void stop() {
        if (server != null) server.close().syncUninterruptibly();
        if (group != null) group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void statusIsTheDocumentTheGatewaySends() throws Exception {
        Path socket = serve();
        next = new Canned(200, "{\"node\": \"lb1\", \"generation\": 3, \"services\": []}");
        try (ControlClient client = new ControlClient(socket)) {
            Status status = client.status();
            assertEquals("lb1", status.node());
            assertEquals(3, status.generation());
        }
        Seen s = seen.take();
        assertEquals("GET", s.method());
        assertEquals("/v1/status", s.uri());
    }

    @Test
    void theRevisionIsAskedWithoutTheStatus() throws Exception {
        Path socket = serve();
        next = new Canned(200, "{\"revision\": \"5f0c2e91\", \"generation\": 6}");
        try (ControlClient client = new ControlClient(socket)) {
            assertEquals(new LiveRevision("5f0c2e91", 6), client.revision());
        }
        Seen s = seen.take();
        assertEquals("GET", s.method());
        assertEquals("/v1/revision", s.uri());
    }

    @Test
    void applySendsTheFilesAndReadsEachKindOfAnswer() throws Exception {
        Path socket = serve();
        List<SourceFile> files = List.of(new SourceFile("cluster.yaml", "cluster: lab\n"), new SourceFile("services/web.yaml", "service: web\n"));
        try (ControlClient client = new ControlClient(socket)) {
            next = new Canned(200, "{\"applied\": true, \"revision\": \"abc\", \"generation\": 2}");
            ApplyReply ok = client.apply(new ConfigRequest("abc", false, files));
            assertTrue(ok.applied());
            assertEquals(2, ok.generation());
            assertEquals("abc", ok.revision());
            Seen put = seen.take();
            assertEquals("PUT", put.method());
            assertEquals("/v1/config", put.uri());
            JsonNode body = JsonMapper.shared().readTree(put.body());
            assertEquals("abc", body.path("revision").asString());
            assertEquals("services/web.yaml", body.path("files").path(1).path("path").asString());
            assertEquals("service: web\n", body.path("files").path(1).path("text").asString());

            client.apply(new ConfigRequest(null, true, files));
            JsonNode unnamed = JsonMapper.shared().readTree(seen.take().body());
            assertTrue(unnamed.path("revision").isNull(), "the gateway names it");
            assertTrue(unnamed.path("force").asBoolean());

            next = new Canned(422, "{\"applied\": false, \"revision\": \"bad\", \"generation\": 2, \"problems\": "
                    + "[{\"file\": \"services/web.yaml\", \"line\": 8, \"column\": 37, \"field\": \"servers[1].weight\", \"message\": \"too big\"}]}");
            ApplyReply invalid = client.apply(new ConfigRequest("bad", false, files));
            assertFalse(invalid.applied());
            assertEquals(2, invalid.generation());
            assertEquals("services/web.yaml:8:37: servers[1].weight: too big", invalid.problems().getFirst().toString());

            next = new Canned(409, "{\"applied\": false, \"revision\": \"x\", \"generation\": 2, \"refused\": [\"address mismatch\"]}");
            ApplyReply refused = client.apply(new ConfigRequest("x", false, files));
            assertFalse(refused.applied());
            assertEquals(List.of("address mismatch"), refused.refused());
            assertTrue(refused.problems().isEmpty());

            next = new Canned(400, "{\"error\": \"malformed JSON: nope\"}");
            ControlClient.ControlException e = assertThrows(ControlClient.ControlException.class,
                    () -> client.apply(new ConfigRequest("y", false, files)));
            assertEquals("the gateway on " + socket + " answered 400: malformed JSON: nope", e.getMessage());

            next = new Canned(200, "<html>");
            e = assertThrows(ControlClient.ControlException.class, client::status);
            assertEquals("the gateway answered 200 OK with something that is not JSON: <html>", e.getMessage());
        }
    }

    @Test
    void aRehearsedApplyAsksTheGatewayNothing() throws Exception {
        Path socket = serve();
        next = null; // any request would wait for an answer that never comes
        List<SourceFile> files = List.of(new SourceFile("cluster.yaml", "cluster: lab\n"));
        try (ControlClient client = new ControlClient(socket, Duration.ofMillis(300))) {
            client.rehearseApply(new ConfigRequest("abc", false, files));
        }
        try (ControlClient client = new ControlClient(tmp.resolve("none.sock"))) {
            client.rehearseApply(new ConfigRequest("abc", false, files)); // no gateway at all: nothing to say
        }
        assertEquals(List.of(), List.copyOf(seen), "nothing was sent");
    }

    @Test
    void noGatewayIsExplained() throws Exception {
        Path missing = tmp.resolve("none.sock");
        String expected = "no gateway is listening on " + missing + " (is `vgw gateway` running? see its --config control.socket)";
        try (ControlClient client = new ControlClient(missing)) {
            assertEquals(expected, assertThrows(ControlClient.ControlException.class, client::status).getMessage());
        }
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(missing));
        } // a socket file nobody listens on: connection refused
        try (ControlClient client = new ControlClient(missing)) {
            assertEquals(expected, assertThrows(ControlClient.ControlException.class, client::status).getMessage());
        }
    }

    @Test
    void aGatewayThatNeverAnswersTimesOut() throws Exception {
        Path socket = serve();
        next = null;
        try (ControlClient client = new ControlClient(socket, Duration.ofMillis(300))) {
            ControlClient.ControlException e = assertThrows(ControlClient.ControlException.class, client::status);
            assertTrue(e.getMessage().startsWith("the gateway on " + socket + " did not answer GET /v1/status within"), e.getMessage());
        }
    }

    /** An answer that announces more than the client takes (64 MiB), or stops half-way: refused before it is read. */
    @Test
    void anOversizedOrTruncatedAnswerIsRefused() throws Exception {
        Path socket = tmp.resolve("raw.sock");
        try (ServerSocketChannel raw = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.bind(UnixDomainSocketAddress.of(socket));
            Thread server = Thread.ofVirtual().start(() -> {
                for (String answer : List.of("HTTP/1.1 200 OK\r\nContent-Length: 671088640\r\n\r\n{",
                        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"node\":")) {
                    try (var c = raw.accept()) {
                        c.read(java.nio.ByteBuffer.allocate(4096));
                        c.write(java.nio.ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)));
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            try (ControlClient client = new ControlClient(socket, Duration.ofSeconds(10))) {
                assertEquals("the gateway on " + socket + " answered 671088640 bytes, over the limit of 67108864 bytes",
                        assertThrows(ControlClient.ControlException.class, client::status).getMessage());
                assertEquals("the gateway on " + socket + " closed the connection in the middle of its answer",
                        assertThrows(ControlClient.ControlException.class, client::status).getMessage());
            }
            server.join();
        }
    }
}
