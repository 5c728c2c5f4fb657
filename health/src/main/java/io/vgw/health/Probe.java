package io.vgw.health;

import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * A target's probes, confined to the checker's thread, on a {@link ProbeSocket} (no Netty channel, pipeline or
 * promise: those cost more than the probe's syscalls). Exactly one {@link Result} comes out of each probe, whichever
 * of connect, read, close, error or timeout happens first. The object is reused by the target's every probe.
 *
 * <p>tcp, and http with {@link Check#reuse} off: a new connection per probe. Connect (tcp: done), else send the
 * request and read until the status line; then reset the connection (RST). A healthy tcp probe is two syscalls,
 * connect and the reset (connect(AF_UNSPEC)), plus its share of an epoll_wait, and three packets: SYN, SYN-ACK, RST
 * (the handshake's last ACK is held back, see {@link ProbeSocket}); an http probe sends its request with the SYN
 * ({@link #connectWithRequest}: sendto instead of connect, sent again by the kernel with that ACK) and adds one read:
 * five packets, three syscalls.
 *
 * <p>http with {@link Check#reuse} ({@code reuse_connection: true}): the connection is kept between probes (HTTP/1.1 keep-alive, as
 * Envoy's checker does): a probe is one write and one read, and two packets and the response's ACK, on both sides,
 * and the server neither accepts nor closes a connection for it. The status line decides the result; the rest of the
 * response is read (bounded: {@link #MAX_HEAD} of headers, a Content-Length of at most {@link #MAX_BODY}) so that the
 * next request starts clean. The connection is given up (RST), and the next probe opens a new one and counts, after
 * a failure or timeout, when the server closes it or says {@code Connection: close}, when the response has no
 * Content-Length (chunked, or ended by close), and after {@link #RENEW_AFTER} probes: so a server that stops
 * accepting new connections while it still serves the kept one is found within that many intervals plus
 * {@code fall}. A kept connection that turns out closed before any answer (the server's idle timeout crossed the
 * request) is not a failure: the probe opens a new connection at once, within its timeout, and that one counts.
 */
final class Probe {
    /**
     * An HTTP status line longer than this (the bytes before its {@code \n}) is not a health answer, however the
     * bytes arrive; also the longest header line looked at.
     */
    static final int MAX_STATUS_LINE = 256;
    /** A kept connection: response headers beyond this many bytes end the connection (the status still counts). */
    static final int MAX_HEAD = 8192;
    /** A kept connection: a larger body ends the connection instead of being read (the status still counts). */
    static final int MAX_BODY = 16384;
    /** A kept connection serves this many probes, then the next one opens a new connection. */
    static final int RENEW_AFTER = 10;
    private static final int READ = 1024;
    private static final byte[] HTTP = {'H', 'T', 'T', 'P', '/'};
    private static final byte[] HTTP11 = {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' '};
    private static final int OUT = EpollIoOps.EPOLLOUT.value();
    private static final int IN = EpollIoOps.EPOLLIN.value();
    private static final int EPOLLHUP = 0x010; // <sys/epoll.h>; Netty does not export it
    private static final int TROUBLE = EpollIoOps.EPOLLERR.value() | EPOLLHUP;
    private static final int RDHUP = EpollIoOps.EPOLLRDHUP.value();
    private static final int EOPNOTSUPP = 95; // <errno.h>; Netty does not export it

    /** Where the response is: its status line, its headers (kept connections), its body (kept connections). */
    private enum Phase { STATUS, HEAD, BODY }

    private final HealthChecker checker;
    private final Tracked tracked;
    private final boolean http;
    private final boolean reuse;
    /** http: the status line so far, then the header line so far (allocated once per target) */
    private final byte[] line;

    /** the connection: the probe's in flight, or the one kept for the next probe (reuse) */
    private ProbeSocket connection;
    private LinuxSocket socket;
    /** probes the connection has carried, this one included */
    private int uses;
    /** kept connection: the server sent something (FIN, RST, data) between probes; the next probe opens a new one */
    private boolean stale;

    // the probe in flight
    private boolean active;
    private boolean reused;
    private long started;
    private long latenessNanos;
    private boolean connected;
    /** http: bytes of the request sent (with the SYN, see {@link #connectWithRequest}, or written) */
    private int sent;
    private int length;
    // kept connections: the rest of the response after the status line decided the result
    private Phase phase;
    private Code code;
    private int status;
    private String reason;
    private boolean clean;
    private long contentLength;
    private int headBytes;
    private long bodyLeft;

    Probe(HealthChecker checker, Tracked tracked) {
        this.checker = checker;
        this.tracked = tracked;
        this.http = tracked.request != null;
        this.reuse = http && tracked.target.check().reuse();
        this.line = http ? new byte[MAX_STATUS_LINE] : null;
    }

    boolean inFlight() {
        return active;
    }

    /** Starts a probe; its result may come before this returns (refused at once, or connected at once for tcp). */
    void start(long now, long lateness) {
        started = now;
        latenessNanos = lateness;
        if (connection != null && !stale && uses < RENEW_AFTER) {
            active = true;
            reused = true;
            uses++;
            begin();
            connected = true;
            try {
                send();
            } catch (IOException | RuntimeException e) {
                if (active) failed(e);
            }
            return;
        }
        if (connection != null) drop();
        open();
    }

    /** A new connection: a pooled socket's connect. */
    private void open() {
        reused = false;
        begin();
        try {
            connection = checker.socket();
        } catch (IOException | RuntimeException e) { // file descriptors exhausted: a result, never a dead checker
            finish(Code.SOCKERR, "cannot open a socket: " + reason(e));
            return;
        }
        connection.owner = this;
        socket = connection.socket;
        stale = false;
        uses = 1;
        active = true;
        try {
            if (http && connection.fastOpen && checker.fastOpen()) connectWithRequest();
            else if (socket.connect(tracked.remote)) connected(); // else EPOLLOUT (or an error) follows
        } catch (IOException | RuntimeException e) {
            if (active) failed(e);
        }
    }

    /**
     * connect(2) and write(2) in one sendto(2) with MSG_FASTOPEN and no cookie ({@link ProbeSocket}): the request
     * leaves in the SYN; a server without Fast Open (most) acknowledges only the SYN and the kernel sends the request
     * again at once when the SYN-ACK comes, in the same softirq, with the handshake's last ACK. So the checker makes no
     * write and takes no event between connect and answer: SYN-ACK and response are one event, usually in one window.
     * What did not fit in the SYN (0: a kernel that would not) is written when the connection is established.
     */
    private void connectWithRequest() throws IOException {
        byte[] request = tracked.request;
        InetSocketAddress to = tracked.remote;
        try {
            ByteBuffer out = checker.scratch(request.length).put(0, request);
            sent = socket.sendTo(out, 0, request.length, to.getAddress(), to.getPort(), true);
        } catch (Errors.NativeIoException e) {
            if (e.expectedErr() != -EOPNOTSUPP) throw e;
            checker.noFastOpen(); // net.ipv4.tcp_fastopen without its client bit: connect, then write
            if (socket.connect(to)) connected();
        }
    }

    private void begin() {
        connected = false;
        sent = 0;
        length = 0;
        phase = Phase.STATUS;
        code = null;
    }

    /** An epoll event of the probe's socket. */
    void handle(int ev) {
        if (!active) { // a kept connection between probes: a FIN, a RST or stray data makes it unfit for the next
            idleEvent(ev);
            return;
        }
        try {
            if (!connected) {
                // EPOLLOUT alone means established (tcp_poll reports no writability during SYN_SENT); else ask SO_ERROR
                if ((ev & TROUBLE) != 0 || (ev & OUT) == 0) {
                    if (!socket.finishConnect()) return; // still connecting
                }
                connected();
                if (!active) return;
            }
            if ((ev & (IN | TROUBLE | RDHUP)) != 0) read();
            if (!active && connection != null && (ev & (TROUBLE | RDHUP)) != 0) stale = true; // the answer came with a FIN
        } catch (IOException | RuntimeException e) {
            if (active) failed(e);
        }
    }

    private void idleEvent(int ev) {
        if (connection == null || stale) return;
        if ((ev & (TROUBLE | RDHUP)) != 0) {
            stale = true;
        } else if ((ev & IN) != 0) { // an edge for bytes the last probe already read is harmless: EAGAIN says so
            try {
                stale = socket.read(checker.scratch(READ), 0, 1) != 0;
            } catch (IOException | RuntimeException e) {
                stale = true;
            }
        }
    }

    /** An error from a syscall: on a kept connection before any answer, a new connection; else the result. */
    private void failed(Throwable e) {
        if (reused && length == 0 && code == null) {
            reconnect();
        } else if (code != null) {
            done(false);
        } else {
            finish(connected ? Code.SOCKERR : Code.L4CON, reason(e));
        }
    }

    /** The kept connection was closed under the request: the same probe on a new one (once: it is not reused). */
    private void reconnect() {
        active = false;
        drop();
        open();
    }

    private void connected() throws IOException {
        connected = true;
        if (!http) {
            finish(Code.L4OK, tracked.okReason);
            return;
        }
        send();
    }

    /** Writes what is left of the request (all of it, unless the SYN carried it). */
    private void send() throws IOException {
        byte[] request = tracked.request;
        if (sent == request.length) return;
        int left = request.length - sent;
        int n = socket.write(checker.scratch(left).put(0, request, sent, left), 0, left);
        if (n == 0 && reused) throw new IOException("a kept connection cannot take the request");
        if (n == 0) connected = false; // EAGAIN: still connecting after all (seen with SYNs dropped); EPOLLOUT follows
        else if (n != left) finish(Code.SOCKERR, "could not send the " + request.length + "-byte request at once");
        else sent = request.length;
    }

    /** Reads until the response is judged (and, on a kept connection, read to its end), the end of the stream or EAGAIN. */
    private void read() throws IOException {
        ByteBuffer in = checker.scratch(READ);
        while (active) {
            // a new connection reads no further than the status line's bound and its \n: the rest is never looked at
            int n = socket.read(in, 0, phase == Phase.STATUS && !reuse ? MAX_STATUS_LINE + 1 - length : READ);
            if (n == 0) return; // EAGAIN (edge-triggered: all that is there was read)
            if (n < 0) {
                closed();
                return;
            }
            int i = 0;
            while (active && i < n) {
                i = switch (phase) {
                    case STATUS -> status(in, i, n);
                    case HEAD -> head(in, i, n);
                    case BODY -> body(i, n);
                };
            }
        }
    }

    /** The end of the stream before the response's end. */
    private void closed() {
        if (code != null) done(false);
        else if (reused && length == 0) reconnect();
        else finish(Code.L7RSP, length == 0 ? "connection closed before any answer"
                : "connection closed after " + length + " bytes, before a full status line");
    }

    /** Status-line bytes in[from..to); returns where it stopped. */
    private int status(ByteBuffer in, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = in.get(i);
            if (b == '\n') {
                statusLine();
                return i + 1;
            }
            if (length == MAX_STATUS_LINE) {
                noStatusLine();
                return to;
            }
            line[length] = b;
            if (length < HTTP.length && b != HTTP[length]) {
                finish(Code.L7RSP, "not an HTTP response: starts with " + printable(line, length + 1, in, i + 1, to));
                return to;
            }
            length++;
        }
        return to;
    }

    /** "HTTP/1.1 200 OK": three digits after the first space, then a space or the end of the line. */
    private void statusLine() {
        int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        int space = HTTP.length;
        while (space < end && line[space] != ' ') space++;
        int s = space + 4 <= end ? 0 : -1;
        for (int i = space + 1; i <= space + 3 && s >= 0; i++) {
            s = line[i] >= '0' && line[i] <= '9' ? s * 10 + (line[i] - '0') : -1;
        }
        if (s < 100 || (space + 4 < end && line[space + 4] != ' ')) {
            finish(Code.L7RSP, "malformed HTTP status line: " + printable(line, end, null, 0, 0));
            return;
        }
        boolean expected = s == tracked.target.check().expect();
        code = expected ? Code.L7OK : Code.L7STS;
        status = s;
        reason = expected ? tracked.okReason : "HTTP " + s + " (expected " + tracked.target.check().expect() + ")";
        if (!reuse || !startsWith(line, HTTP11)) { // HTTP/1.0 closes after its answer
            done(false);
            return;
        }
        phase = Phase.HEAD;
        clean = true;
        contentLength = -1;
        headBytes = 0;
        length = 0;
    }

    /** Header bytes in[from..to) of a kept connection's response; returns where it stopped. */
    private int head(ByteBuffer in, int from, int to) {
        for (int i = from; i < to; i++) {
            if (++headBytes > MAX_HEAD) {
                done(false);
                return to;
            }
            byte b = in.get(i);
            if (b != '\n') {
                if (length < MAX_STATUS_LINE) line[length] = b;
                length++;
                continue;
            }
            int end = length > 0 && length <= MAX_STATUS_LINE && line[length - 1] == '\r' ? length - 1 : length;
            if (end == 0) { // the end of the head: the body's length decides whether the connection can serve again
                if (!clean || contentLength < 0 || contentLength > MAX_BODY) {
                    done(false);
                } else if (contentLength == 0) {
                    done(i + 1 == to);
                } else {
                    bodyLeft = contentLength;
                    phase = Phase.BODY;
                }
                return i + 1;
            }
            if (end > MAX_STATUS_LINE) clean = false; // a header too long to read: it might have said close
            else header(end);
            length = 0;
        }
        return to;
    }

    /** One header line, line[0..end): Content-Length, Connection: close and Transfer-Encoding matter. */
    private void header(int end) {
        int colon = 0;
        while (colon < end && line[colon] != ':') colon++;
        int v = colon + 1;
        while (v < end && (line[v] == ' ' || line[v] == '\t')) v++;
        if (named("content-length", colon)) {
            long n = v < end ? 0 : -1;
            for (int i = v; i < end && n >= 0; i++) {
                if (line[i] >= '0' && line[i] <= '9') n = Math.min(n * 10 + (line[i] - '0'), MAX_BODY + 1L);
                else if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') n = -1;
            }
            if (n < 0 || (contentLength >= 0 && contentLength != n)) clean = false;
            contentLength = n;
        } else if (named("transfer-encoding", colon)) {
            clean = false; // chunked: not read here, so the connection ends
        } else if (named("connection", colon) && has("close", v, end)) {
            clean = false;
        }
    }

    /** Whether line[from..end) holds {@code word} (lower case), in any case. */
    private boolean has(String word, int from, int end) {
        for (int i = from; i + word.length() <= end; i++) {
            int k = 0;
            while (k < word.length() && (line[i + k] | 0x20) == word.charAt(k)) k++;
            if (k == word.length()) return true;
        }
        return false;
    }

    private boolean named(String name, int colon) {
        if (colon != name.length()) return false;
        for (int i = 0; i < colon; i++) if ((line[i] | 0x20) != name.charAt(i)) return false;
        return true;
    }

    /** Body bytes [from..to) of a kept connection's response; returns where it stopped. */
    private int body(int from, int to) {
        long take = Math.min(bodyLeft, to - from);
        bodyLeft -= take;
        int at = from + (int) take;
        if (bodyLeft == 0) done(at == to); // bytes after the body: not a clean connection
        return to;
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) if (bytes[i] != prefix[i]) return false;
        return true;
    }

    /** The probe's timer fired first. */
    void timedOut() {
        if (!active) return;
        long ms = tracked.target.check().timeout().toMillis();
        if (code != null) done(false); // judged, but the rest of the response is late: the connection ends
        else if (!connected) finish(Code.L4TOUT, "timeout after " + ms + " ms (no connection)");
        else finish(Code.L7TOUT, "timeout after " + ms + " ms (connected, " + (length == 0 ? "no answer" : "no full status line") + ")");
    }

    /** The target was removed or the checker stops: end quietly, with no result. */
    void abandon() {
        active = false;
        drop();
    }

    /** The judged response's result; {@code keep}: the connection serves the next probe. */
    private void done(boolean keep) {
        result(code, status, reason, keep);
    }

    /** A result without an HTTP status (tcp, or no answer to judge): the connection ends. */
    private void finish(Code c, String why) {
        result(c, 0, why, false);
    }

    private void noStatusLine() {
        finish(Code.L7RSP, "no HTTP status line in the first " + MAX_STATUS_LINE + " bytes");
    }

    private void result(Code c, int s, String why, boolean keep) {
        active = false;
        if (!keep) drop();
        checker.finished(tracked, new Result(c, s, System.nanoTime() - started, why), latenessNanos);
    }

    /** Resets the connection (RST: no TIME_WAIT) and gives the socket back for another probe. */
    private void drop() {
        if (connection == null) return;
        checker.release(connection);
        connection = null;
        socket = null;
    }

    /** Errors in words: the errno text the kernel gave, lower case, without Netty's syscall prefix. */
    static String reason(Throwable cause) {
        String m = cause.getMessage();
        // Netty raises ENETUNREACH from connect(2) as a NoRouteToHostException without a message
        if (cause instanceof java.net.NoRouteToHostException && (m == null || m.startsWith("null"))) return "network is unreachable";
        // ... and ECONNREFUSED from sendto(2) (the request in the SYN) as a PortUnreachableException
        if (cause instanceof java.net.PortUnreachableException) return "connection refused";
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

    /** Up to 32 bytes as text (bytes[0..n), then rest[from..to)), non-printables as \xNN, quoted. */
    private static String printable(byte[] bytes, int n, ByteBuffer rest, int from, int to) {
        StringBuilder s = new StringBuilder("'");
        int total = n + (rest == null ? 0 : to - from);
        int shown = Math.min(total, 32);
        for (int i = 0; i < shown; i++) {
            int b = (i < n ? bytes[i] : rest.get(from + i - n)) & 0xff;
            if (b >= 0x20 && b < 0x7f) s.append((char) b);
            else s.append(String.format("\\x%02x", b));
        }
        return s.append(total > 32 ? "...'" : "'").toString();
    }
}
