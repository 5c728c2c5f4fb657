package io.vgw.reconciler.apply;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.vgw.api.ApiJson;
import io.vgw.api.ApplyReply;
import io.vgw.api.ConfigRequest;
import io.vgw.api.LiveConfig;
import io.vgw.api.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

/**
 * The client side of a gateway's control API: HTTP/1.1 + JSON over its unix-domain socket (Netty epoll), one
 * connection per call. The shapes are the shared records of {@code io.vgw.api} (the model module: the reconciler
 * never sees the gateway's classes or DPDK).
 */
public final class ControlClient implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    private static final int CONNECT_TIMEOUT_MILLIS = 5000;
    private static final int MAX_RESPONSE = 64 << 20;

    /** The gateway could not be reached, or did not answer as the API says; the message says what to do. */
    public static final class ControlException extends IOException {
        public ControlException(String message) {
            super(message);
        }

        public ControlException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** An HTTP answer: status and parsed JSON body. */
    record Response(int status, JsonNode body) {}

    private final Path socket;
    private final Duration timeout;
    private final EventLoopGroup group;

    public ControlClient(Path socket) throws ControlException {
        this(socket, DEFAULT_TIMEOUT);
    }

    /** @param timeout for each answer (applying a large config builds every Maglev table first) */
    public ControlClient(Path socket, Duration timeout) throws ControlException {
        if (!Epoll.isAvailable()) {
            throw new ControlException("cannot talk to the gateway: Netty's native epoll transport did not load ("
                    + Epoll.unavailabilityCause() + ")", Epoll.unavailabilityCause());
        }
        this.socket = socket;
        this.timeout = timeout;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("vgw-control-client", true),
                EpollIoHandler.newFactory());
    }

    public Path socket() {
        return socket;
    }

    /** GET /v1/status. */
    public Status status() throws ControlException {
        return read(get("/v1/status"), Status.class);
    }

    /** GET /v1/config: the config the gateway runs (its files), to plan against. */
    public LiveConfig liveConfig() throws ControlException {
        return read(get("/v1/config"), LiveConfig.class);
    }

    /**
     * PUT /v1/config: the whole desired config as one change. The answer says applied (maybe unchanged), invalid
     * (422: located problems) or refused (409: reasons); anything else is a {@link ControlException}.
     */
    public ApplyReply apply(ConfigRequest request) throws ControlException {
        Response r = call(HttpMethod.PUT, "/v1/config", ApiJson.MAPPER.writeValueAsBytes(request));
        if (r.status() != 200 && r.status() != 409 && r.status() != 422) throw unexpected(r);
        return read(r.body(), ApplyReply.class);
    }

    /** GET /v1/announce: the announcer's state (VIPs, OSPF, BFD); empty when the gateway announces nothing. */
    public java.util.Optional<JsonNode> announcements() throws ControlException {
        Response r = call(HttpMethod.GET, "/v1/announce", null);
        if (r.status() == 404) return java.util.Optional.empty();
        if (r.status() != 200) throw unexpected(r);
        return java.util.Optional.of(r.body());
    }

    /** POST /v1/drain: withdraw the VIPs, forward until the router moved the traffic, then stop the gateway. */
    public void drain() throws ControlException {
        Response r = call(HttpMethod.POST, "/v1/drain", null);
        if (r.status() != 202) throw unexpected(r);
    }

    private JsonNode get(String path) throws ControlException {
        Response r = call(HttpMethod.GET, path, null);
        if (r.status() != 200) throw unexpected(r);
        return r.body();
    }

    private <T> T read(JsonNode body, Class<T> type) throws ControlException {
        try {
            return ApiJson.MAPPER.treeToValue(body, type);
        } catch (JacksonException e) {
            throw new ControlException("the gateway on " + socket + " answered in a shape this vgw does not know ("
                    + e.getOriginalMessage() + "); is it another version?", e);
        }
    }

    private ControlException unexpected(Response r) {
        String error = r.body().path("error").asString("");
        return new ControlException("the gateway on " + socket + " answered " + r.status()
                + (error.isEmpty() ? "" : ": " + error));
    }

    Response call(HttpMethod method, String path, byte[] body) throws ControlException {
        CompletableFuture<Response> answer = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(EpollDomainSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE), new Answer(answer));
                    }
                });
        ChannelFuture connect = bootstrap.connect(new DomainSocketAddress(socket.toFile()));
        if (!connect.awaitUninterruptibly(CONNECT_TIMEOUT_MILLIS + 1000L)) {
            connect.channel().close();
            throw new ControlException("the gateway on " + socket + " did not accept a connection within "
                    + CONNECT_TIMEOUT_MILLIS / 1000 + " s (is it stuck?)");
        }
        if (!connect.isSuccess()) throw connectFailed(connect.cause());
        Channel channel = connect.channel();
        try {
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path,
                    body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            request.headers().set(HttpHeaderNames.HOST, "vgw")
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(HttpHeaderNames.ACCEPT, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body == null ? 0 : body.length);
            if (body != null) request.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            channel.writeAndFlush(request).addListener(f -> {
                if (!f.isSuccess()) answer.completeExceptionally(f.cause());
            });
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ControlException("the gateway on " + socket + " did not answer " + method + " " + path
                    + " within " + (timeout.toMillis() < 1000 ? timeout.toMillis() + " ms" : timeout.toSeconds() + " s"));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ControlException c) throw c;
            throw new ControlException(method + " " + path + " on " + socket + " failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException("interrupted while waiting for the gateway on " + socket, e);
        } finally {
            channel.close();
        }
    }

    private ControlException connectFailed(Throwable cause) {
        String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS) || message.contains("refused")
                || message.contains("no such file")) {
            return new ControlException("no gateway is listening on " + socket
                    + " (is `vgw gateway` running? see its --config control.socket)", cause);
        }
        if (message.contains("permission denied")) {
            return new ControlException("permission denied on " + socket + ": the control socket is mode 0600, "
                    + "owned by the gateway's user; run as that user (e.g. with sudo)", cause);
        }
        return new ControlException("cannot connect to the gateway on " + socket + ": " + cause.getMessage(), cause);
    }

    /** Completes the future with the one response, or with why there is none. */
    private static final class Answer extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final CompletableFuture<Response> answer;

        Answer(CompletableFuture<Response> answer) {
            this.answer = answer;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            String text = response.content().toString(StandardCharsets.UTF_8);
            try {
                JsonNode body = text.isBlank() ? MissingNode.getInstance() : ApiJson.MAPPER.readTree(text);
                answer.complete(new Response(response.status().code(), body));
            } catch (JacksonException e) {
                answer.completeExceptionally(new ControlException("the gateway answered " + response.status()
                        + " with something that is not JSON: " + abbreviate(text)));
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            answer.completeExceptionally(new ControlException("the gateway closed the connection without answering"));
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            answer.completeExceptionally(cause);
            ctx.close();
        }
    }

    private static String abbreviate(String text) {
        String line = text.strip().replace('\n', ' ');
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
