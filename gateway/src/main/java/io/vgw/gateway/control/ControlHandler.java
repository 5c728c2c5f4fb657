package io.vgw.gateway.control;

import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP → {@link ControlApi}: routes by path, checks the method, writes the JSON reply. Runs on the control
 * server's one event-loop thread; requests are handled one at a time (the gateway serialises applies anyway).
 * Whatever handling a request throws, an {@link Error} included, is logged and answered: 507 for out of memory
 * (the live state is untouched: a config is built aside and swapped in only when whole), 500 otherwise.
 */
final class ControlHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ControlHandler.class);

    /** path → the methods it takes */
    private static final Map<String, List<HttpMethod>> ROUTES = Map.of(
            "/v1/status", List.of(HttpMethod.GET),
            "/v1/revision", List.of(HttpMethod.GET),
            "/v1/config", List.of(HttpMethod.GET, HttpMethod.PUT),
            "/v1/announce", List.of(HttpMethod.GET),
            "/v1/drain", List.of(HttpMethod.POST));

    private final ControlApi api;

    ControlHandler(ControlApi api) {
        this.api = api;
    }

    /**
     * The whole server pipeline, also what the tests put on an EmbeddedChannel. Every connection shares the server's
     * one {@link ControlApi} (it warms the apply path once per process).
     */
    static void configure(ChannelPipeline pipeline, ControlApi api, int maxBody, Duration requestTimeout) {
        pipeline.addLast("http", new HttpServerCodec());
        pipeline.addLast("aggregate", new Aggregator(maxBody));
        pipeline.addLast("deadline", new RequestDeadline(requestTimeout));
        pipeline.addLast("api", new ControlHandler(api));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        ControlApi.Reply reply;
        List<HttpMethod> allowed = null;
        if (!request.decoderResult().isSuccess()) {
            reply = ControlApi.Reply.error(400, "malformed HTTP request: " + request.decoderResult().cause().getMessage());
            keepAlive = false;
        } else {
            String path = new QueryStringDecoder(request.uri()).path();
            List<HttpMethod> methods = ROUTES.get(path);
            if (methods == null) {
                reply = ControlApi.Reply.error(404, "no endpoint " + path + "; the API has GET /v1/status, GET /v1/revision, GET /v1/config, PUT /v1/config, "
                        + "GET /v1/announce and POST /v1/drain");
            } else if (!methods.contains(request.method())) {
                allowed = methods;
                reply = ControlApi.Reply.error(405, request.method() + " " + path + " is not supported; use "
                        + String.join(" or ", methods.stream().map(HttpMethod::name).toList()));
            } else {
                reply = handle(path, request);
            }
        }
        FullHttpResponse response = response(reply);
        if (allowed != null) response.headers().set(HttpHeaderNames.ALLOW, String.join(", ", allowed.stream().map(HttpMethod::name).toList()));
        send(ctx, response, keepAlive);
    }

    private ControlApi.Reply handle(String path, FullHttpRequest request) {
        try {
            return switch (request.method().name() + " " + path) {
                case "GET /v1/status" -> api.status();
                case "GET /v1/revision" -> api.revision();
                case "GET /v1/config" -> api.liveConfig();
                case "PUT /v1/config" -> api.applyConfig(new ByteBufInputStream(request.content()));
                case "GET /v1/announce" -> api.announcements();
                case "POST /v1/drain" -> api.drain();
                default -> throw new IllegalStateException("unrouted " + request.method() + " " + path);
            };
        } catch (OutOfMemoryError e) {
            log(request, path, e);
            return ControlApi.Reply.error(507, "the gateway ran out of memory (max heap " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB) handling " + request.method() + " " + path + "; the live config is unchanged. Give the gateway "
                    + "more heap (-Xmx) or send a smaller config (fewer services, smaller maglev.table_size)");
        } catch (Throwable e) { // an Error (StackOverflowError, ...) too: never leave a request unanswered and unlogged
            log(request, path, e);
            return ControlApi.Reply.error(500, "internal error: " + e + "; the live config is unchanged (see the gateway's log)");
        }
    }

    private static void log(FullHttpRequest request, String path, Throwable e) {
        try {
            LOG.error("{} {} failed", request.method(), path, e);
        } catch (Throwable logging) {
            // the log itself failed (out of memory): the answer still says what happened
        }
    }

    static FullHttpResponse response(ControlApi.Reply reply) {
        byte[] body = reply.json();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }

    static void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Error) {
            LOG.error("control connection failed outside a request's handling; closing it", cause);
        } else { // a client that went away or was cut off: nothing to act on
            LOG.debug("control connection failed: {}", cause.toString());
        }
        ctx.close();
    }

    /**
     * Aggregates a request. One over the limit gets a 413 with a JSON reason (Netty's own has no body): before the
     * body when the client expects 100-continue, else instead of the request (the rest of the body is skipped, and
     * the connection closed unless it is keep-alive, as Netty does).
     */
    static final class Aggregator extends HttpObjectAggregator {
        private final int maxBody;

        Aggregator(int maxBody) {
            super(maxBody);
            this.maxBody = maxBody;
        }

        private FullHttpResponse tooLarge() {
            String limit = maxBody >= 1 << 20 ? (maxBody >> 20) + " MiB" : maxBody + " bytes";
            return response(ControlApi.Reply.error(413, "request body over " + limit
                    + "; a config is expected to be far smaller (each file at most 1 MiB); split it or remove what is not needed"));
        }

        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            Object reply = super.newContinueResponse(start, maxContentLength, pipeline);
            if (reply instanceof FullHttpResponse r && r.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
                r.release();
                return tooLarge();
            }
            return reply;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            boolean close = oversized instanceof FullHttpMessage
                    || !HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized);
            send(ctx, tooLarge(), !close);
        }
    }

    /**
     * Bounds the time a request may take to arrive: armed when the connection opens and after each answer,
     * disarmed when a whole request reached the API. A client that trickles its body, or opens a connection and
     * says nothing, gets a 408 and is disconnected; the event loop serves others meanwhile (it never waits on one).
     */
    static final class RequestDeadline extends ChannelDuplexHandler {
        private final Duration timeout;
        private ScheduledFuture<?> timer;

        RequestDeadline(Duration timeout) {
            this.timeout = timeout;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) arm(ctx);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            arm(ctx);
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof FullHttpRequest) disarm();
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof FullHttpResponse) promise.addListener(f -> {
                if (ctx.channel().isOpen()) arm(ctx);
            });
            super.write(ctx, msg, promise);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            disarm();
            super.channelInactive(ctx);
        }

        private void arm(ChannelHandlerContext ctx) {
            disarm();
            timer = ctx.executor().schedule(() -> {
                LOG.info("control client sent no whole request within {} ms: answered 408, disconnected", timeout.toMillis());
                send(ctx, response(ControlApi.Reply.error(408, "no whole request within " + timeout.toMillis()
                        + " ms (control.request_timeout); send the request at once")), false);
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        }

        private void disarm() {
            if (timer != null) timer.cancel(false);
            timer = null;
        }
    }
}
