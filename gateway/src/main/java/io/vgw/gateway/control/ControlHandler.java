package io.vgw.gateway.control;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
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
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP → {@link ControlApi}: routes by path, checks the method, writes the JSON reply. Runs on the control
 * server's one event-loop thread; requests are handled one at a time (the gateway serialises applies anyway).
 */
final class ControlHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ControlHandler.class);

    /** Bigger than any sane config (each file is refused over 1 MiB by the loader), small enough to hold in memory. */
    static final int MAX_BODY = 64 << 20;

    /** path → the one method it takes */
    private static final Map<String, HttpMethod> ROUTES = Map.of("/v1/status", HttpMethod.GET, "/v1/config", HttpMethod.PUT);

    private final ControlApi api;

    ControlHandler(ControlApi api) {
        this.api = api;
    }

    /** The whole server pipeline, also what the tests put on an EmbeddedChannel. */
    static void configure(ChannelPipeline pipeline, GatewayControl gateway, int maxBody) {
        pipeline.addLast("http", new HttpServerCodec());
        pipeline.addLast("aggregate", new Aggregator(maxBody));
        pipeline.addLast("api", new ControlHandler(new ControlApi(gateway)));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        ControlApi.Reply reply;
        HttpMethod allowed = null;
        if (!request.decoderResult().isSuccess()) {
            reply = ControlApi.Reply.error(400, "malformed HTTP request: " + request.decoderResult().cause().getMessage());
            keepAlive = false;
        } else {
            String path = new QueryStringDecoder(request.uri()).path();
            HttpMethod method = ROUTES.get(path);
            if (method == null) {
                reply = ControlApi.Reply.error(404, "no endpoint " + path + "; the API has GET /v1/status and PUT /v1/config");
            } else if (!method.equals(request.method())) {
                allowed = method;
                reply = ControlApi.Reply.error(405, request.method() + " " + path + " is not supported; use " + method);
            } else {
                reply = handle(path, request);
            }
        }
        FullHttpResponse response = response(reply);
        if (allowed != null) response.headers().set(HttpHeaderNames.ALLOW, allowed.name());
        send(ctx, response, keepAlive);
    }

    private ControlApi.Reply handle(String path, FullHttpRequest request) {
        try {
            return switch (path) {
                case "/v1/status" -> api.status();
                case "/v1/config" -> api.applyConfig(ByteBufUtil.getBytes(request.content()));
                default -> throw new IllegalStateException("unrouted " + path);
            };
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", request.method(), path, e);
            return ControlApi.Reply.error(500, "internal error: " + e + " (see the gateway's log)");
        }
    }

    static FullHttpResponse response(ControlApi.Reply reply) {
        byte[] body = (ControlApi.JSON.writeValueAsString(reply.body()) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
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
        LOG.debug("control connection failed: {}", cause.toString()); // a client that went away: nothing to act on
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
                    + "; a config is expected to be far smaller (the loader takes files up to 1 MiB)"));
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
}
