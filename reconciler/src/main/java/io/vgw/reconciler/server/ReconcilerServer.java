package io.vgw.reconciler.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.vgw.reconciler.loop.ReconcileStatus;
import io.vgw.reconciler.loop.Reconciler;
import io.vgw.reconciler.loop.ReconcilerMetrics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * The reconciler's HTTP endpoints on one Netty epoll thread, each listener serving only its own routes:
 *
 * <pre>
 * control socket (unix, 0600)  GET /v1/status; POST /v1/reconcile, /v1/suspend, /v1/resume, /v1/pin?revision=REV
 * webhook (TCP, optional)      POST /hook with X-Hub-Signature-256: sha256=HMAC-SHA256(secret, body): triggers a fetch
 * metrics (TCP, optional)      GET /metrics
 * </pre>
 *
 * The webhook's payload is never read beyond its signature: it only says "fetch now". Bodies are bounded before
 * they are read (Netty's aggregator answers 413 above the limit); the signature is compared in constant time.
 */
public final class ReconcilerServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReconcilerServer.class);
    public static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
    static final int MAX_CONTROL_BODY = 64 << 10;
    /** Forges' push payloads are far smaller; a bigger body is refused before it is read. */
    static final int MAX_HOOK_BODY = 1 << 20;
    public static final String SIGNATURE_HEADER = "X-Hub-Signature-256";

    private enum Role { CONTROL, WEBHOOK, METRICS }

    private final EventLoopGroup group;
    private final List<Channel> channels = new ArrayList<>();
    private final Path socket;

    private ReconcilerServer(EventLoopGroup group, Path socket) {
        this.group = group;
        this.socket = socket;
    }

    /**
     * @param webhook null: no webhook; {@code secret} is then unused
     * @param metricsListen null: no metrics endpoint
     */
    public static ReconcilerServer start(Reconciler reconciler, ReconcilerMetrics metrics, Path socket,
                                         InetSocketAddress webhook, byte[] secret, InetSocketAddress metricsListen)
            throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("the reconciler's endpoints need Netty's native epoll transport: " + Epoll.unavailabilityCause());
        }
        Path path = socket.toAbsolutePath().normalize();
        prepare(path);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("vgw-reconcile-api", true),
                EpollIoHandler.newFactory());
        ReconcilerServer server = new ReconcilerServer(group, path);
        try {
            server.channels.add(new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childHandler(init(new Handler(Role.CONTROL, reconciler, metrics, null), MAX_CONTROL_BODY))
                    .bind(new DomainSocketAddress(path.toFile())).sync().channel());
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            if (webhook != null) {
                server.channels.add(tcp(group, webhook, new Handler(Role.WEBHOOK, reconciler, metrics, secret), MAX_HOOK_BODY));
            }
            if (metricsListen != null) {
                server.channels.add(tcp(group, metricsListen, new Handler(Role.METRICS, reconciler, metrics, null), MAX_CONTROL_BODY));
            }
            return server;
        } catch (Exception e) {
            server.close();
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            throw new IOException("cannot serve the reconciler's endpoints: " + e.getMessage()
                    + " (is another reconciler running with the same control socket or ports?)", e);
        }
    }

    private static Channel tcp(EventLoopGroup group, InetSocketAddress address, Handler handler, int maxBody)
            throws InterruptedException {
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(init(handler, maxBody)).bind(address).sync().channel();
    }

    private static ChannelInitializer<Channel> init(Handler handler, int maxBody) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(maxBody), handler);
            }
        };
    }

    /** A socket file left by a dead reconciler is replaced; one a live process answers on is not. */
    private static void prepare(Path socket) throws IOException {
        Path parent = socket.getParent();
        if (!Files.isDirectory(parent)) {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            Files.deleteIfExists(socket);
            return;
        }
        throw new IOException("another reconciler answers on " + socket + "; stop it first or set control.socket");
    }

    /** The address a TCP listener got (port 0 asks for a free one), for tests and the lab. */
    public InetSocketAddress address(int index) {
        return (InetSocketAddress) channels.get(index).localAddress();
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() {
        for (Channel c : channels) c.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", socket, e.toString());
        }
    }

    /** True when {@code header} is "sha256=" + the hex HMAC-SHA256 of body under secret (constant-time compare). */
    public static boolean signed(byte[] secret, byte[] body, String header) {
        if (header == null || !header.startsWith("sha256=")) return false;
        byte[] given;
        try {
            given = HexFormat.of().parseHex(header.substring("sha256=".length()).strip());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return java.security.MessageDigest.isEqual(hmac(secret, body), given);
    }

    public static byte[] hmac(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    @io.netty.channel.ChannelHandler.Sharable
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Role role;
        private final Reconciler reconciler;
        private final ReconcilerMetrics metrics;
        private final byte[] secret;
        private final ExpositionFormats formats = ExpositionFormats.init();

        Handler(Role role, Reconciler reconciler, ReconcilerMetrics metrics, byte[] secret) {
            this.role = role;
            this.reconciler = reconciler;
            this.metrics = metrics;
            this.secret = secret;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (!request.decoderResult().isSuccess()) {
                send(ctx, json(HttpResponseStatus.BAD_REQUEST, error("malformed HTTP request")));
                return;
            }
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            String route = request.method() + " " + uri.path();
            try {
                switch (role) {
                    case METRICS -> send(ctx, route.equals("GET /metrics") ? scrape() : notFound(route, "GET /metrics"));
                    case WEBHOOK -> send(ctx, route.equals("POST /hook") ? hook(request) : notFound(route, "POST /hook"));
                    case CONTROL -> control(ctx, route, uri);
                }
            } catch (RuntimeException e) {
                LOG.error("{} failed", route, e);
                send(ctx, json(HttpResponseStatus.INTERNAL_SERVER_ERROR, error("internal error: " + e)));
            }
        }

        private void control(ChannelHandlerContext ctx, String route, QueryStringDecoder uri) {
            List<String> rev = uri.parameters().getOrDefault("revision", List.of());
            CompletableFuture<ReconcileStatus.Attempt> action;
            switch (route) {
                case "GET /v1/status" -> {
                    send(ctx, json(HttpResponseStatus.OK, reconciler.status()));
                    return;
                }
                case "POST /v1/reconcile" -> action = reconciler.trigger("operator");
                case "POST /v1/suspend" -> action = reconciler.suspend();
                case "POST /v1/resume" -> action = reconciler.resume();
                case "POST /v1/pin" -> {
                    if (rev.isEmpty() || rev.getFirst().isBlank()) {
                        send(ctx, json(HttpResponseStatus.BAD_REQUEST, error("give the revision: POST /v1/pin?revision=REV")));
                        return;
                    }
                    action = reconciler.pin(rev.getFirst());
                }
                default -> {
                    send(ctx, notFound(route, "GET /v1/status, POST /v1/reconcile, /v1/suspend, /v1/resume, /v1/pin?revision=REV"));
                    return;
                }
            }
            // Answered when the loop has done it (a pin applies first); the event loop is not blocked meanwhile.
            action.whenComplete((attempt, failure) -> {
                if (failure != null) {
                    send(ctx, json(HttpResponseStatus.INTERNAL_SERVER_ERROR, error(failure.toString())));
                    return;
                }
                var body = JSON.createObjectNode();
                body.set("attempt", JSON.valueToTree(attempt));
                body.set("status", JSON.valueToTree(reconciler.status()));
                send(ctx, json(HttpResponseStatus.OK, body));
            });
        }

        private FullHttpResponse hook(FullHttpRequest request) {
            byte[] body = ByteBufUtil.getBytes(request.content());
            if (!signed(secret, body, request.headers().get(SIGNATURE_HEADER))) {
                LOG.warn("webhook request without a valid {} header: ignored", SIGNATURE_HEADER);
                return json(HttpResponseStatus.UNAUTHORIZED, error("missing or wrong " + SIGNATURE_HEADER
                        + " (sha256=HEX of the body's HMAC-SHA256 under the shared secret)"));
            }
            reconciler.trigger("webhook");
            return json(HttpResponseStatus.ACCEPTED, JSON.createObjectNode().put("triggered", true));
        }

        private FullHttpResponse scrape() {
            ByteBuf body = Unpooled.buffer(4096);
            try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
                formats.getPrometheusTextFormatWriter().write(out, metrics.registry().scrape());
            } catch (IOException e) {
                body.release();
                return json(HttpResponseStatus.INTERNAL_SERVER_ERROR, error("scrape failed: " + e));
            }
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            return r;
        }

        private static Object error(String message) {
            return JSON.createObjectNode().put("error", message);
        }

        private static FullHttpResponse notFound(String route, String routes) {
            return json(HttpResponseStatus.NOT_FOUND, error("no endpoint " + route + "; this listener serves " + routes));
        }

        private static FullHttpResponse json(HttpResponseStatus status, Object body) {
            byte[] bytes = (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            return r;
        }

        /** One request per connection: answered, then closed. */
        private static void send(ChannelHandlerContext ctx, FullHttpResponse r) {
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes())
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("connection failed: {}", cause.toString());
            ctx.close();
        }
    }
}
