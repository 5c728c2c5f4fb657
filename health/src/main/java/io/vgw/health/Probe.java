package io.vgw.health;

import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.LinuxSocket;
import java.io.IOException;
import java.util.Locale;

/**
 * A target's probes, confined to the checker's thread: each one a new connection on a pooled {@link ProbeSocket}
 * (no Netty channel, pipeline or promise: those cost more than the probe's syscalls). Connect (tcp: done), else send
 * the request and read until the status line; then reset the connection (RST). A healthy tcp probe is two syscalls,
 * connect and the reset (connect(AF_UNSPEC)), plus its share of an epoll_wait, and three packets: SYN, SYN-ACK, RST
 * (the handshake's last ACK is held back, see {@link ProbeSocket}); an http probe adds one write, which carries that
 * ACK, and one read. Exactly one {@link Result} comes out of each probe, whichever of connect, read, close, error or
 * timeout happens first. The object is reused by the target's every probe.
 */
final class Probe {
    /** An HTTP status line longer than this is not a health answer (the body is never read). */
    static final int MAX_STATUS_LINE = 256;
    private static final byte[] HTTP = {'H', 'T', 'T', 'P', '/'};
    private static final int OUT = EpollIoOps.EPOLLOUT.value();
    private static final int IN = EpollIoOps.EPOLLIN.value();
    private static final int EPOLLHUP = 0x010; // <sys/epoll.h>; Netty does not export it
    private static final int TROUBLE = EpollIoOps.EPOLLERR.value() | EPOLLHUP;
    private static final int RDHUP = EpollIoOps.EPOLLRDHUP.value();

    private final HealthChecker checker;
    private final Tracked tracked;
    private final boolean http;
    /** http: the status line so far (allocated once per target) */
    private final byte[] line;

    // the probe in flight
    private boolean active;
    private ProbeSocket connection;
    private LinuxSocket socket;
    private long started;
    private long latenessNanos;
    private boolean connected;
    private int length;

    Probe(HealthChecker checker, Tracked tracked) {
        this.checker = checker;
        this.tracked = tracked;
        this.http = tracked.request != null;
        this.line = http ? new byte[MAX_STATUS_LINE] : null;
    }

    boolean inFlight() {
        return active;
    }

    /** Starts a probe; its result may come before this returns (refused at once, or connected at once for tcp). */
    void start(long now, long lateness) {
        started = now;
        latenessNanos = lateness;
        connected = false;
        length = 0;
        try {
            connection = checker.socket();
        } catch (IOException | RuntimeException e) { // file descriptors exhausted: a result, never a dead checker
            checker.finished(tracked, new Result(Code.SOCKERR, 0, System.nanoTime() - started, "cannot open a socket: " + reason(e)), lateness);
            return;
        }
        connection.owner = this;
        socket = connection.socket;
        active = true;
        try {
            if (socket.connect(tracked.remote)) connected(); // else EPOLLOUT (or an error) follows
        } catch (IOException | RuntimeException e) {
            if (active) finish(connected ? Code.SOCKERR : Code.L4CON, 0, reason(e));
        }
    }

    /** An epoll event of the probe's socket. */
    void handle(int ev) {
        if (!active) return; // the socket's owner is cleared when the probe ends; this is only a guard
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
        } catch (IOException | RuntimeException e) {
            if (active) finish(connected ? Code.SOCKERR : Code.L4CON, 0, reason(e));
        }
    }

    private void connected() throws IOException {
        connected = true;
        if (!http) {
            finish(Code.L4OK, 0, tracked.okReason);
            return;
        }
        byte[] request = tracked.request;
        int n = socket.write(checker.scratch(request.length).put(0, request), 0, request.length);
        if (n == 0) connected = false; // EAGAIN: still connecting after all (seen with SYNs dropped); EPOLLOUT follows
        else if (n != request.length) finish(Code.SOCKERR, 0, "could not send the " + request.length + "-byte request at once");
    }

    /** Reads until the status line, the end of the stream or EAGAIN (edge-triggered: all that is there). */
    private void read() throws IOException {
        while (active) {
            int n = socket.read(checker.scratch(MAX_STATUS_LINE), 0, MAX_STATUS_LINE - length);
            if (n == 0) return; // EAGAIN
            if (n < 0) {
                finish(Code.L7RSP, 0, length == 0 ? "connection closed before any answer"
                        : "connection closed after " + length + " bytes, before a full status line");
                return;
            }
            checker.scratch(MAX_STATUS_LINE).get(0, line, length, n);
            scan(length, length + n);
        }
    }

    /** Looks at the status line's bytes from..to (new since the last read). */
    private void scan(int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = line[i];
            if (b == '\n') {
                length = i;
                statusLine();
                return;
            }
            if (i < HTTP.length && b != HTTP[i]) {
                finish(Code.L7RSP, 0, "not an HTTP response: starts with " + printable(line, to));
                return;
            }
        }
        length = to;
        if (length == MAX_STATUS_LINE) finish(Code.L7RSP, 0, "no HTTP status line in the first " + MAX_STATUS_LINE + " bytes");
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
            finish(Code.L7RSP, 0, "malformed HTTP status line: " + printable(line, end));
        } else if (status == tracked.target.check().expect()) {
            finish(Code.L7OK, status, tracked.okReason);
        } else {
            finish(Code.L7STS, status, "HTTP " + status + " (expected " + tracked.target.check().expect() + ")");
        }
    }

    /** The probe's timer fired first. */
    void timedOut() {
        if (!active) return;
        long ms = tracked.target.check().timeout().toMillis();
        if (!connected) finish(Code.L4TOUT, 0, "timeout after " + ms + " ms (no connection)");
        else finish(Code.L7TOUT, 0, "timeout after " + ms + " ms (connected, " + (length == 0 ? "no answer" : "no full status line") + ")");
    }

    /** The target was removed or the checker stops: end quietly, with no result. */
    void abandon() {
        cleanUp();
    }

    private void finish(Code code, int status, String reason) {
        cleanUp();
        checker.finished(tracked, new Result(code, status, System.nanoTime() - started, reason), latenessNanos);
    }

    /** Resets the connection (RST: no TIME_WAIT) and gives the socket back for another probe. */
    private void cleanUp() {
        if (!active) return;
        active = false;
        checker.release(connection);
        connection = null;
        socket = null;
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
    private static String printable(byte[] bytes, int n) {
        StringBuilder s = new StringBuilder("'");
        int shown = Math.min(n, 32);
        for (int i = 0; i < shown; i++) {
            byte b = bytes[i];
            if (b >= 0x20 && b < 0x7f) s.append((char) b);
            else s.append(String.format("\\x%02x", b & 0xff));
        }
        return s.append(n > 32 ? "...'" : "'").toString();
    }
}
