package io.vgw.health;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Locale;
import java.util.concurrent.Future;

/**
 * One probe on one fresh connection, confined to the checker's thread: connect (tcp: done), else send the request
 * and read until the status line, then close with RST. Exactly one {@link Result} comes out of it, whichever of
 * connect, read, close, error or timeout happens first.
 */
final class Probe extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
    /** An HTTP status line longer than this is not a health answer (the body is never read). */
    static final int MAX_STATUS_LINE = 256;
    private static final byte[] HTTP = {'H', 'T', 'T', 'P', '/'};

    private final HealthChecker checker;
    final Tracked tracked;
    final long started;
    final long latenessNanos;
    private Channel channel;
    private Future<?> timeout;
    private boolean connected;
    private boolean done;
    private byte[] line;
    private int length;

    Probe(HealthChecker checker, Tracked tracked, long started, long latenessNanos) {
        this.checker = checker;
        this.tracked = tracked;
        this.started = started;
        this.latenessNanos = latenessNanos;
    }

    void start(Channel channel, ChannelFuture connect, Future<?> timeout) {
        this.channel = channel;
        this.timeout = timeout;
        connect.addListener(this);
    }

    /** The connect finished. */
    @Override
    public void operationComplete(ChannelFuture f) {
        if (done) return;
        if (!f.isSuccess()) {
            finish(Code.L4CON, 0, reason(f.cause()));
            return;
        }
        connected = true;
        if (tracked.target.check().kind() == Check.Kind.TCP) {
            finish(Code.L4OK, 0, "connected");
            return;
        }
        line = new byte[MAX_STATUS_LINE];
        channel.writeAndFlush(tracked.request.retainedDuplicate()).addListener((ChannelFuture w) -> {
            if (!w.isSuccess() && !done) finish(Code.SOCKERR, 0, reason(w.cause()) + " (sending the request)");
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        try {
            if (!done) read(buf);
        } finally {
            buf.release();
        }
    }

    private void read(ByteBuf buf) {
        while (buf.isReadable() && !done) {
            byte b = buf.readByte();
            if (b == '\n') {
                statusLine();
                return;
            }
            if (length == MAX_STATUS_LINE) {
                finish(Code.L7RSP, 0, "no HTTP status line in the first " + MAX_STATUS_LINE + " bytes");
                return;
            }
            line[length++] = b;
            if (length <= HTTP.length && b != HTTP[length - 1]) {
                finish(Code.L7RSP, 0, "not an HTTP response: starts with " + printable(line, length, buf));
                return;
            }
        }
    }

    /** "HTTP/1.1 200 OK": three digits after the first space, then a space or the end of the line. */
    private void statusLine() {
        int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        int space = HTTP.length;
        while (space < end && line[space] != ' ') space++;
        int status = space + 4 <= end ? 0 : -1;
        for (int i = space + 1; i <= space + 3 && status >= 0; i++) {
            status = line[i] >= '0' && line[i] <= '9' ? status * 10 + (line[i] - '0') : -1;
        }
        if (status < 100 || (space + 4 < end && line[space + 4] != ' ')) {
            finish(Code.L7RSP, 0, "malformed HTTP status line: " + printable(line, end, null));
        } else if (status == tracked.target.check().expect()) {
            finish(Code.L7OK, status, "HTTP " + status);
        } else {
            finish(Code.L7STS, status, "HTTP " + status + " (expected " + tracked.target.check().expect() + ")");
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (done) return;
        finish(Code.L7RSP, 0, length == 0 ? "connection closed before any answer"
                : "connection closed after " + length + " bytes, before a full status line");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (done) return;
        finish(connected ? Code.SOCKERR : Code.L4CON, 0, reason(cause));
    }

    /** The probe's timer fired first. */
    void timedOut() {
        if (done) return;
        long ms = tracked.target.check().timeout().toMillis();
        if (!connected) finish(Code.L4TOUT, 0, "timeout after " + ms + " ms (no connection)");
        else finish(Code.L7TOUT, 0, "timeout after " + ms + " ms (connected, " + (length == 0 ? "no answer" : "no full status line") + ")");
    }

    /** The target was removed or the checker stops: end quietly, with no result. */
    void abandon() {
        done = true;
        cleanUp();
    }

    /** Ends the probe with a failure from outside its own events (it could not start). */
    void fail(Code code, String reason) {
        if (!done) finish(code, 0, reason);
    }

    private void finish(Code code, int status, String reason) {
        done = true;
        cleanUp();
        checker.finished(this, new Result(code, status, System.nanoTime() - started, reason));
    }

    private void cleanUp() {
        if (timeout != null) timeout.cancel(false);
        if (channel != null) channel.close(); // SO_LINGER 0: RST, no TIME_WAIT
    }

    /** Errors in words: the errno text the kernel gave, lower case, without Netty's syscall prefix. */
    static String reason(Throwable cause) {
        String m = cause.getMessage();
        // Netty raises ENETUNREACH from connect(2) as a NoRouteToHostException without a message
        if (cause instanceof java.net.NoRouteToHostException && (m == null || m.startsWith("null"))) return "network is unreachable";
        if (m == null) return cause.getClass().getSimpleName();
        String lower = m.toLowerCase(Locale.ROOT);
        for (String known : new String[] {"connection refused", "connection reset by peer", "no route to host",
                "network is unreachable", "broken pipe", "connection timed out", "too many open files",
                "cannot assign requested address", "host is unreachable"}) {
            if (lower.contains(known)) return known;
        }
        int colon = m.indexOf("failed: ");
        return colon >= 0 ? m.substring(colon + "failed: ".length()) : m;
    }

    /** Up to 32 bytes as text, non-printables as \xNN, quoted. */
    private static String printable(byte[] bytes, int n, ByteBuf more) {
        StringBuilder s = new StringBuilder("'");
        int shown = 0;
        for (int i = 0; i < n && shown < 32; i++, shown++) append(s, bytes[i]);
        if (more != null) {
            for (int i = more.readerIndex(); i < more.writerIndex() && shown < 32; i++, shown++) append(s, more.getByte(i));
        }
        return s.append(shown == 32 ? "...'" : "'").toString();
    }

    private static void append(StringBuilder s, byte b) {
        if (b >= 0x20 && b < 0x7f) s.append((char) b);
        else s.append(String.format("\\x%02x", b & 0xff));
    }
}
