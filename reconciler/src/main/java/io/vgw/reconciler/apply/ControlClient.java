package io.vgw.reconciler.apply;

import io.vgw.api.ApiJson;
import io.vgw.api.ApplyReply;
import io.vgw.api.ConfigRequest;
import io.vgw.api.LiveConfig;
import io.vgw.api.LiveRevision;
import io.vgw.api.Status;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

/**
 * The client side of a gateway's control API: HTTP/1.1 + JSON over its unix-domain socket, one connection per call
 * ({@code Connection: close}). The shapes are the shared records of {@code io.vgw.api} (the model module: the
 * reconciler never sees the gateway's classes or DPDK).
 *
 * <p>Written on the JDK's own unix-domain {@link SocketChannel}, not Netty: the JDK's HttpClient cannot reach a unix
 * socket, and starting Netty's native transport and HTTP codec cost a short CLI command (vgw apply, vgw status) more
 * than half a second. The protocol used is small and fixed: one request, one answer with Content-Length (the
 * gateway's server always sends it), bounded before it is read.
 */
public final class ControlClient implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    private static final int CONNECT_TIMEOUT_MILLIS = 5000;
    private static final int MAX_RESPONSE = 64 << 20;
    private static final int MAX_HEAD = 64 << 10;

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
    /** Waits for one call's socket at a time (calls are serialised); an epoll descriptor, released by close(). */
    private final Selector selector;

    public ControlClient(Path socket) throws ControlException {
        this(socket, DEFAULT_TIMEOUT);
    }

    /** @param timeout for each answer (applying a large config builds every Maglev table first) */
    public ControlClient(Path socket, Duration timeout) throws ControlException {
        this.socket = socket;
        this.timeout = timeout;
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new ControlException("cannot talk to the gateway: " + e.getMessage(), e);
        }
    }

    public Path socket() {
        return socket;
    }

    /** GET /v1/status. */
    public Status status() throws ControlException {
        return read(get("/v1/status"), Status.class);
    }

    /** GET /v1/revision: only the revision and generation that run (cheap: asked often, and right after an apply). */
    public LiveRevision revision() throws ControlException {
        return read(get("/v1/revision"), LiveRevision.class);
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
        Response r = call("PUT", "/v1/config", ApiJson.MAPPER.writeValueAsBytes(request));
        if (r.status() != 200 && r.status() != 409 && r.status() != 422) throw unexpected(r);
        return read(r.body(), ApplyReply.class);
    }

    /**
     * While idle: what {@link #apply} does on this side, without sending it: the request written as JSON and an
     * answer read back, so the first apply after a start does not build Jackson's (de)serializers for them.
     */
    public void rehearseApply(ConfigRequest request) throws ControlException {
        ApiJson.MAPPER.writeValueAsBytes(request);
        read(ApiJson.MAPPER.valueToTree(ApplyReply.applied(request.revision(), 1, false)), ApplyReply.class);
    }

    /** GET /v1/announce: the announcer's state (VIPs, OSPF, BFD); empty when the gateway announces nothing. */
    public java.util.Optional<JsonNode> announcements() throws ControlException {
        Response r = call("GET", "/v1/announce", null);
        if (r.status() == 404) return java.util.Optional.empty();
        if (r.status() != 200) throw unexpected(r);
        return java.util.Optional.of(r.body());
    }

    /** POST /v1/drain: withdraw the VIPs, forward until the router moved the traffic, then stop the gateway. */
    public void drain() throws ControlException {
        Response r = call("POST", "/v1/drain", null);
        if (r.status() != 202) throw unexpected(r);
    }

    private JsonNode get(String path) throws ControlException {
        Response r = call("GET", path, null);
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

    synchronized Response call(String method, String path, byte[] body) throws ControlException {
        long start = System.nanoTime();
        byte[] head = (method + " " + path + " HTTP/1.1\r\nHost: vgw\r\nConnection: close\r\nAccept: application/json\r\n"
                + (body == null ? "" : "Content-Type: application/json\r\n")
                + "Content-Length: " + (body == null ? 0 : body.length) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.configureBlocking(false);
            SelectionKey key = channel.register(selector, 0);
            try {
                connect(channel, key, start);
                long deadline = start + timeout.toNanos();
                ByteBuffer[] request = {ByteBuffer.wrap(head), ByteBuffer.wrap(body == null ? new byte[0] : body)};
                while (request[0].hasRemaining() || request[1].hasRemaining()) {
                    if (channel.write(request) == 0 && !ready(key, SelectionKey.OP_WRITE, deadline)) {
                        throw timedOut(method, path);
                    }
                }
                return read(channel, key, deadline, method, path);
            } finally {
                key.cancel();
                selector.selectNow(); // deregisters the channel before it closes
            }
        } catch (ControlException e) {
            throw e;
        } catch (IOException e) {
            throw new ControlException(method + " " + path + " on " + socket + " failed: " + e, e);
        }
    }

    private void connect(SocketChannel channel, SelectionKey key, long start) throws ControlException {
        try {
            if (channel.connect(UnixDomainSocketAddress.of(socket))) return;
            long connectBy = start + CONNECT_TIMEOUT_MILLIS * 1_000_000L;
            while (!channel.finishConnect()) {
                if (!ready(key, SelectionKey.OP_CONNECT, connectBy)) {
                    throw new ControlException("the gateway on " + socket + " did not accept a connection within "
                            + CONNECT_TIMEOUT_MILLIS / 1000 + " s (is it stuck?)");
                }
            }
        } catch (ControlException e) {
            throw e;
        } catch (IOException e) {
            throw connectFailed(e);
        }
    }

    /** The answer: a status line and headers (at most 64 KiB), then exactly Content-Length bytes (at most 64 MiB). */
    private Response read(SocketChannel channel, SelectionKey key, long deadline, String method,
            String path) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(8192);
        int headEnd;
        while ((headEnd = headEnd(in)) < 0) {
            if (!in.hasRemaining()) {
                if (in.capacity() >= MAX_HEAD) throw new ControlException("the gateway on " + socket + " answered a header over 64 KiB");
                in = ByteBuffer.allocate(in.capacity() * 2).put(in.flip());
            }
            if (!fill(channel, key, in, deadline, method, path)) {
                throw new ControlException("the gateway closed the connection without answering");
            }
        }
        String[] lines = new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        int status;
        long length = -1;
        try {
            status = Integer.parseInt(statusLine[1]);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0 && lines[i].substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                    length = Long.parseLong(lines[i].substring(colon + 1).trim());
                }
            }
        } catch (RuntimeException e) {
            throw new ControlException("the gateway on " + socket + " answered something that is not HTTP: " + abbreviate(lines[0]));
        }
        if (length < 0) throw new ControlException("the gateway on " + socket + " answered without a Content-Length");
        if (length > MAX_RESPONSE) {
            throw new ControlException("the gateway on " + socket + " answered " + length + " bytes, over the limit of "
                    + MAX_RESPONSE + " bytes");
        }
        ByteBuffer content = ByteBuffer.allocate((int) length).put(in.flip().position(headEnd + 4));
        while (content.hasRemaining()) {
            if (!fill(channel, key, content, deadline, method, path)) {
                throw new ControlException("the gateway on " + socket + " closed the connection in the middle of its answer");
            }
        }
        String text = new String(content.array(), StandardCharsets.UTF_8);
        String reason = statusLine.length > 2 ? status + " " + statusLine[2] : String.valueOf(status);
        try {
            return new Response(status, text.isBlank() ? MissingNode.getInstance() : ApiJson.MAPPER.readTree(text));
        } catch (JacksonException e) {
            throw new ControlException("the gateway answered " + reason + " with something that is not JSON: " + abbreviate(text));
        }
    }

    /** Reads what is there into {@code into}, waiting until the deadline; false at the end of the stream. */
    private boolean fill(SocketChannel channel, SelectionKey key, ByteBuffer into, long deadline,
            String method, String path) throws IOException {
        while (true) {
            int n = channel.read(into);
            if (n != 0) return n > 0;
            if (!ready(key, SelectionKey.OP_READ, deadline)) throw timedOut(method, path);
        }
    }

    /** Where the header block ends ("\r\n\r\n"), or -1. */
    private static int headEnd(ByteBuffer in) {
        byte[] a = in.array();
        for (int i = 3; i < in.position(); i++) {
            if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') return i - 3;
        }
        return -1;
    }

    /** Waits until the channel is ready for {@code ops}; false once the deadline has passed. */
    private boolean ready(SelectionKey key, int ops, long deadline) throws IOException {
        key.interestOps(ops);
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) return false;
        selector.selectedKeys().clear();
        return selector.select(left) > 0 || System.nanoTime() < deadline;
    }

    private ControlException timedOut(String method, String path) {
        return new ControlException("the gateway on " + socket + " did not answer " + method + " " + path
                + " within " + (timeout.toMillis() < 1000 ? timeout.toMillis() + " ms" : timeout.toSeconds() + " s"));
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

    private static String abbreviate(String text) {
        String line = text.strip().replace('\n', ' ');
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    @Override
    public void close() throws ControlException {
        try {
            selector.close();
        } catch (IOException e) {
            throw new ControlException("closing the control client: " + e.getMessage(), e);
        }
    }
}
