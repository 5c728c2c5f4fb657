package io.vgw.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The checker against real loopback servers: each bad case gives its code and a reason an operator understands. */
class HealthCheckerTest {
    static final int LOOPBACK = 0x7f000001;
    // generous for a loaded CI machine: a timeout here means the test server thread was not scheduled in time
    static final Duration INTERVAL = Duration.ofMillis(500);
    static final Duration TIMEOUT = Duration.ofMillis(400);

    final Recorder recorder = new Recorder();
    final HealthChecker checker = new HealthChecker(HealthChecker.Options.DEFAULTS, recorder);
    final List<AutoCloseable> servers = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        checker.close();
        for (AutoCloseable s : servers) s.close();
    }

    TestServer server(TestServer s) {
        servers.add(s);
        return s;
    }

    static Target tcp(int port, int rise, int fall) {
        return new Target(LOOPBACK, port, Check.tcp(INTERVAL, TIMEOUT, rise, fall));
    }

    static Target http(int port, int rise, int fall) {
        return new Target(LOOPBACK, port, Check.http("/healthz", 200, INTERVAL, TIMEOUT, rise, fall));
    }

    Result probeOnce(Target target) throws InterruptedException {
        checker.setTargets(List.of(target));
        return recorder.next();
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void tcpConnectIsUpAfterOneProbe() throws Exception {
        TestServer s = server(TestServer.serving((c, n) -> {}));
        Target t = tcp(s.port(), 2, 3);
        Result r = probeOnce(t);
        assertEquals(Code.L4OK, r.code(), r.toString());
        Transition up = recorder.nextTransition();
        assertEquals(State.UNKNOWN, up.from());
        assertEquals(State.UP, up.to(), "one successful probe resolves unknown");
        assertEquals(State.UP, checker.health(t).state());
    }

    @Test
    void aTcpProbeEndsBeforeTheHandshakeCompletesSoTheApplicationNeverSeesIt() throws Exception {
        TestServer s = server(TestServer.serving((c, n) -> {}));
        checker.setTargets(List.of(tcp(s.port(), 2, 3)));
        for (int i = 0; i < 3; i++) assertEquals(Code.L4OK, recorder.next().code());
        // SYN, SYN-ACK, RST: the last ACK was held back, so the listener never had a connection to accept
        assertEquals(0, s.connections.get(), "connections the server accepted");
    }

    @Test
    void byDefaultEveryHttpProbeIsANewConnectionEndedByReset() throws Exception {
        var ends = new java.util.concurrent.LinkedBlockingQueue<String>();
        List<Integer> ports = new java.util.concurrent.CopyOnWriteArrayList<>();
        TestServer s = server(TestServer.serving((c, n) -> {
            ports.add(c.getPort());
            TestServer.status(200).serve(c, n);
            try {
                ends.add(c.getInputStream().read() < 0 ? "FIN" : "data");
            } catch (java.net.SocketException e) {
                ends.add(e.getMessage());
            }
        }));
        checker.setTargets(List.of(http(s.port(), 2, 3)));
        for (int i = 0; i < 3; i++) assertEquals(Code.L7OK, recorder.next().code());
        // the socket keeps its port (ProbeSocket): the RST ends each connection on both sides, so the next one can
        // come from the same port and still be a new connection the server accepts
        for (int i = 0; i < 3; i++) {
            assertEquals("Connection reset", ends.poll(5, java.util.concurrent.TimeUnit.SECONDS), "connection " + i + " ended by RST, no TIME_WAIT");
        }
        assertTrue(s.connections.get() >= 3, "a connection per probe: " + s.connections.get());
        assertEquals(1, ports.stream().distinct().count(), "one pooled socket, bound once, keeps its port: " + ports);
    }

    @Test
    void refused() throws Exception {
        Result r = probeOnce(tcp(closedPort(), 2, 3));
        assertEquals(Code.L4CON, r.code(), r.toString());
        assertEquals("connection refused", r.reason());
        assertEquals(State.DOWN, recorder.nextTransition().to(), "one failed probe resolves unknown too");
    }

    @Test
    void anHttpProbeIsRefusedAlike() throws Exception {
        Result r = probeOnce(http(closedPort(), 2, 3));
        assertEquals(Code.L4CON, r.code(), r.toString());
        assertEquals("connection refused", r.reason());
    }

    @Test
    void anHttpProbeSendsItsRequestWithTheSyn() throws Exception {
        // a server without Fast Open (this one) acknowledges only the SYN, and the client's kernel sends the request
        // again with the handshake's last ACK, counting it in TcpExt TCPFastOpenActiveFail: so the request left with
        // the SYN (Probe.connectWithRequest), not in a write after the handshake
        TestServer s = server(TestServer.serving(TestServer.status(200)));
        long before = tcpExt("TCPFastOpenActiveFail");
        checker.setTargets(List.of(http(s.port(), 2, 3)));
        for (int i = 0; i < 3; i++) assertEquals(Code.L7OK, recorder.next().code());
        long sentAgain = tcpExt("TCPFastOpenActiveFail") - before;
        assertTrue(sentAgain >= 3, "requests sent with the SYN and again after it: " + sentAgain);
    }

    /** A TcpExt counter of this network namespace (/proc/net/netstat: a line of names, then one of values). */
    static long tcpExt(String name) throws IOException {
        List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/netstat"));
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            if (!lines.get(i).startsWith("TcpExt:")) continue;
            List<String> names = List.of(lines.get(i).split(" "));
            return Long.parseLong(lines.get(i + 1).split(" ")[names.indexOf(name)]);
        }
        throw new IllegalStateException("no TcpExt in /proc/net/netstat");
    }

    @Test
    void resetAfterAccept() throws Exception {
        TestServer s = server(TestServer.serving((c, n) -> {
            c.setSoLinger(true, 0); // close sends RST
        }));
        Result r = probeOnce(http(s.port(), 2, 3));
        // the RST may beat the connect's completion (L4CON) or follow it (SOCKERR): the reason says which it was
        assertTrue(r.code() == Code.SOCKERR || r.code() == Code.L4CON, r.toString());
        assertTrue(r.reason().startsWith("connection reset by peer"), r.toString());
    }

    @Test
    void acceptsButNeverAnswersHttp() throws Exception {
        TestServer s = server(TestServer.neverAccepting());
        Result r = probeOnce(http(s.port(), 2, 3));
        assertEquals(Code.L7TOUT, r.code(), r.toString());
        assertEquals("timeout after 400 ms (connected, no answer)", r.reason());
        assertTrue(r.durationNanos() >= TIMEOUT.toNanos(), r.toString());
    }

    @Test
    void acceptsButNeverAnswersIsUpForTcp() throws Exception {
        TestServer s = server(TestServer.neverAccepting());
        assertEquals(Code.L4OK, probeOnce(tcp(s.port(), 2, 3)).code(), "a tcp check only proves the handshake");
    }

    @Test
    void garbageInsteadOfHttp() throws Exception {
        TestServer s = server(TestServer.serving((c, n) -> TestServer.writeAll(c.getOutputStream(),
                "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".getBytes(StandardCharsets.US_ASCII))));
        Result r = probeOnce(http(s.port(), 2, 3));
        assertEquals(Code.L7RSP, r.code(), r.toString());
        assertTrue(r.reason().startsWith("not an HTTP response: starts with 'SSH-2.0-OpenSSH_9.2p1"), r.reason());
    }

    @Test
    void httpStatusOtherThanExpected() throws Exception {
        TestServer s = server(TestServer.serving(TestServer.status(503)));
        Result r = probeOnce(http(s.port(), 2, 3));
        assertEquals(Code.L7STS, r.code(), r.toString());
        assertEquals(503, r.status());
        assertEquals("HTTP 503 (expected 200)", r.reason());
    }

    @Test
    void requestCarriesPathAndHost() throws Exception {
        var head = new java.util.concurrent.LinkedBlockingQueue<String>();
        TestServer s = server(TestServer.serving((c, n) -> {
            head.add(TestServer.readHead(c.getInputStream()));
            c.getOutputStream().write("HTTP/1.0 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }));
        Result r = probeOnce(http(s.port(), 2, 3));
        assertEquals(Code.L7OK, r.code(), r.toString());
        String request = head.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(request != null && request.startsWith("GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n"), request);
    }

    /** Answers every request on its connection (HTTP/1.1 keep-alive) with {@code response}, until the checker ends it. */
    static TestServer.Behaviour keepAlive(String response, java.util.concurrent.atomic.AtomicInteger requests) {
        return (c, n) -> {
            while (!TestServer.readHead(c.getInputStream()).isEmpty()) {
                requests.incrementAndGet();
                TestServer.writeAll(c.getOutputStream(), response.getBytes(StandardCharsets.US_ASCII));
            }
        };
    }

    static final Check FAST_HTTP = Check.http("/healthz", 200, Duration.ofMillis(100), Duration.ofMillis(90), 2, 3).withReuse(true);

    @Test
    void aKeptConnectionCarriesTenProbesThenANewOneMustBeAcceptedSoAServerThatStopsAcceptingIsFound() throws Exception {
        var requests = new java.util.concurrent.atomic.AtomicInteger();
        TestServer.Behaviour answer = keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", requests);
        var s = new java.util.concurrent.atomic.AtomicReference<TestServer>();
        s.set(server(TestServer.serving((c, n) -> {
            s.get().socket.close(); // the listener goes; the accepted connection goes on answering
            answer.serve(c, n);
        })));
        checker.setTargets(List.of(new Target(LOOPBACK, s.get().port(), FAST_HTTP)));
        for (int i = 0; i < Probe.RENEW_AFTER; i++) assertEquals(Code.L7OK, recorder.next().code(), "probe " + i);
        assertEquals(Probe.RENEW_AFTER, requests.get(), "every probe a request");
        assertEquals(1, s.get().connections.get(), "one connection for all of them");
        Result renewed = recorder.next();
        assertEquals(Code.L4CON, renewed.code(), "the next probe opens a new connection, which is refused: " + renewed);
    }

    @Test
    void aKeptConnectionTheServerClosesIsReplacedAndItsProbeCounts() throws Exception {
        // HTTP/1.1, Content-Length 0, then the server closes (its idle timeout, a restart): never a failure
        TestServer s = server(TestServer.serving(TestServer.status(200)));
        checker.setTargets(List.of(new Target(LOOPBACK, s.port(), FAST_HTTP)));
        for (int i = 0; i < 5; i++) assertEquals(Code.L7OK, recorder.next().code(), "probe " + i);
        assertTrue(s.connections.get() >= 5, "a new connection for each: " + s.connections.get());
    }

    @Test
    void aKeptConnectionClosedUnderTheRequestIsRetriedOnANewOneWithinTheProbe() throws Exception {
        // each connection answers its first request and closes on reading the second: the race with an idle timeout
        TestServer s = server(TestServer.serving((c, n) -> {
            TestServer.readHead(c.getInputStream());
            TestServer.writeAll(c.getOutputStream(), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            TestServer.readHead(c.getInputStream());
            c.setSoLinger(true, 0); // and resets it, as a server gone does
        }));
        checker.setTargets(List.of(new Target(LOOPBACK, s.port(), FAST_HTTP)));
        for (int i = 0; i < 5; i++) assertEquals(Code.L7OK, recorder.next().code(), "probe " + i);
        assertTrue(s.connections.get() >= 5, "connections: " + s.connections.get());
    }

    @Test
    void aResponseThatEndsItsConnectionIsNotReused() throws Exception {
        for (String response : new String[] {
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy", // more than its length: unclean
                // ten times the headers a kept connection reads (and a line longer than any it looks at)
                "HTTP/1.1 200 OK\r\nX-Pad: " + "x".repeat(10 * Probe.MAX_HEAD) + "\r\nContent-Length: 0\r\n\r\n"}) {
            var requests = new java.util.concurrent.atomic.AtomicInteger();
            TestServer s = server(TestServer.serving(keepAlive(response, requests)));
            Target t = new Target(LOOPBACK, s.port(), FAST_HTTP);
            checker.setTargets(List.of(t));
            for (int i = 0; i < 3; i++) assertEquals(Code.L7OK, recorder.next().code(), response);
            checker.setTargets(List.of());
            assertEquals(3, s.connections.get(), "a new connection per probe after " + response.substring(0, Math.min(60, response.length())));
            recorder.probes.clear();
        }
    }

    @Test
    void responseLargerThanAnyBufferIsJudgedByItsStatusLine() throws Exception {
        byte[] body = new byte[4 << 20];
        TestServer s = server(TestServer.serving((c, n) -> {
            TestServer.readHead(c.getInputStream());
            TestServer.writeAll(c.getOutputStream(), ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().write(body); // the checker resets after the status line: this write fails
        }));
        Result r = probeOnce(http(s.port(), 2, 3));
        assertEquals(Code.L7OK, r.code(), r.toString());
        assertEquals("HTTP 200", r.reason());
    }

    @Test
    void overlongStatusLineIsRefusedAfterItsBound() throws Exception {
        byte[] line = ("HTTP/1.1 200 " + "x".repeat(64 << 10)).getBytes(StandardCharsets.US_ASCII);
        TestServer s = server(TestServer.serving((c, n) -> {
            TestServer.readHead(c.getInputStream());
            c.getOutputStream().write(line);
        }));
        Result r = probeOnce(http(s.port(), 2, 3));
        assertEquals(Code.L7RSP, r.code(), r.toString());
        assertEquals("no HTTP status line in the first " + Probe.MAX_STATUS_LINE + " bytes", r.reason());
    }

    /** The bound is on the line, not on how it arrives: a new connection's bounded read once refused one this long. */
    @Test
    void aStatusLineExactlyAtItsBoundIsAnAnswerAndOneByteMoreIsNot() throws Exception {
        for (int extra = 0; extra <= 1; extra++) {
            String head = "HTTP/1.1 200 ";
            String line = head + "x".repeat(Probe.MAX_STATUS_LINE + extra - head.length() - 1) + "\r";
            TestServer s = server(TestServer.serving(TestServer.http(line + "\n\r\n")));
            Result r = probeOnce(http(s.port(), 2, 3));
            assertEquals(extra == 0 ? Code.L7OK : Code.L7RSP, r.code(), line.length() + " bytes: " + r);
        }
    }

    @Test
    void closedBeforeAnAnswer() throws Exception {
        TestServer s = server(TestServer.serving((c, n) -> TestServer.readHead(c.getInputStream())));
        Result r = probeOnce(http(s.port(), 2, 3));
        assertEquals(Code.L7RSP, r.code(), r.toString());
        assertEquals("connection closed before any answer", r.reason());
    }

    @Test
    void malformedStatusLine() throws Exception {
        TestServer s = server(TestServer.serving(TestServer.http("HTTP/1.1 2x0 OK\r\n\r\n")));
        Result r = probeOnce(http(s.port(), 2, 3));
        assertEquals(Code.L7RSP, r.code(), r.toString());
        assertEquals("malformed HTTP status line: 'HTTP/1.1 2x0 OK'", r.reason());
    }

    @Test
    void aServerFlappingEveryProbeStaysUpUnderHysteresis() throws Exception {
        // 200, 503, 200, 503...: never fall=2 failures in a row, so once up it stays up
        TestServer s = server(TestServer.serving((c, n) -> TestServer.status(n % 2 == 1 ? 200 : 503).serve(c, n)));
        Target t = http(s.port(), 2, 2);
        checker.setTargets(List.of(t));
        int failures = 0;
        for (int i = 0; i < 6; i++) if (!recorder.next().ok()) failures++;
        assertEquals(3, failures, "every other probe failed");
        assertEquals(State.UP, checker.health(t).state());
        assertEquals(State.UP, recorder.nextTransition().to());
        assertEquals(List.of(), List.copyOf(recorder.transitions), "nothing after unknown -> up");
    }

    @Test
    void fallThenRiseWithTheConfiguredCounts() throws Exception {
        var healthy = new java.util.concurrent.atomic.AtomicBoolean(true);
        TestServer s = server(TestServer.serving((c, n) -> TestServer.status(healthy.get() ? 200 : 500).serve(c, n)));
        Target t = http(s.port(), 2, 3);
        checker.setTargets(List.of(t));
        assertEquals(State.UP, recorder.nextTransition().to());
        healthy.set(false);
        Transition down = recorder.nextTransition();
        assertEquals(State.DOWN, down.to());
        assertEquals(3, checker.health(t).streak(), "down after fall = 3 failures");
        assertEquals("HTTP 500 (expected 200)", down.result().reason());
        healthy.set(true);
        Transition up = recorder.nextTransition();
        assertEquals(State.UP, up.to());
        assertEquals(2, checker.health(t).streak(), "up after rise = 2 successes");
    }

    @Test
    void unchangedTargetsKeepTheirVerdictAcrossUpdates() throws Exception {
        TestServer s = server(TestServer.serving((c, n) -> {}));
        Target t = tcp(s.port(), 2, 3);
        checker.setTargets(List.of(t));
        assertEquals(State.UP, recorder.nextTransition().to());
        Health before = checker.health(t);
        Target other = tcp(closedPort(), 2, 3);
        checker.setTargets(List.of(t, other, t));
        assertEquals(2, checker.size(), "duplicates are one target");
        assertEquals(State.UP, checker.health(t).state());
        assertEquals(before.sinceMillis(), checker.health(t).sinceMillis());
        Target changed = tcp(s.port(), 3, 3);
        checker.setTargets(List.of(changed));
        assertEquals(State.UNKNOWN, checker.health(changed).state(), "a changed check starts over");
        assertEquals(null, checker.health(t));
    }

    @Test
    void manyFlipsAreDeliveredAsFewBatches() throws Exception {
        List<Target> targets = new ArrayList<>();
        Check fast = Check.tcp(Duration.ofMillis(100), Duration.ofMillis(90), 1, 1);
        for (int i = 0; i < 200; i++) targets.add(new Target(LOOPBACK + 1 + i, 9, fast));
        checker.setTargets(targets); // 127.0.0.2.. port 9: nothing listens, all refused
        int seen = 0;
        while (seen < 200) {
            recorder.nextTransition();
            seen++;
        }
        // 200 verdicts spread over one 100 ms interval: a batch waits for 50 ms of quiet, at most 250 ms
        assertTrue(recorder.batches.size() <= 4, recorder.batches.size() + " batches for 200 changes: "
                + recorder.batches.stream().map(b -> b.size() + "@" + b.getFirst().atMillis() % 100_000 + "-" + b.getLast().atMillis() % 100_000).toList());
    }

    @Test
    void aDenseCheckerTakesRepliesOncePerWindowAndGetsEveryVerdictRight() throws Exception {
        // 500 targets every 100 ms: 5,000 probes a second, so the loop sleeps through windows instead of waking per reply
        Check fast = Check.tcp(Duration.ofMillis(100), Duration.ofMillis(90), 1, 1);
        int closed = closedPort();
        try (ServerSocket open = new ServerSocket(0, 4096, java.net.InetAddress.getByName("0.0.0.0"))) { // 127.0.0.0/8
            List<Target> listening = new ArrayList<>();
            List<Target> refusing = new ArrayList<>();
            for (int i = 0; i < 250; i++) {
                listening.add(new Target(LOOPBACK + i, open.getLocalPort(), fast));
                refusing.add(new Target(LOOPBACK + i, closed, fast));
            }
            List<Target> all = new ArrayList<>(listening);
            all.addAll(refusing);
            checker.setTargets(all);
            java.util.Map<Target, Integer> results = new java.util.HashMap<>();
            while (results.values().stream().filter(n -> n >= 3).count() < all.size()) { // every target probed 3 times
                Recorder.Probed p = recorder.probes.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(p != null, "no probe result within 10 s; results so far: " + results.size());
                Code expected = listening.contains(p.target()) ? Code.L4OK : Code.L4CON;
                assertEquals(expected, p.result().code(), p.target() + ": " + p.result());
                results.merge(p.target(), 1, Integer::sum);
            }
            for (Target t : listening) assertEquals(State.UP, checker.health(t).state(), t.toString());
            for (Target t : refusing) assertEquals(State.DOWN, checker.health(t).state(), t.toString());
            checker.setTargets(listening); // a task from another thread is taken at the next window
            assertEquals(250, checker.size());
        }
    }

    @Test
    void phasesAreStableAndSpreadOverTheInterval() {
        Check c = Check.tcp(Duration.ofSeconds(1), Duration.ofMillis(500), 2, 3);
        int[] tenths = new int[10];
        for (int i = 0; i < 10_000; i++) {
            long phase = new Target(LOOPBACK, 1 + i, c).phaseNanos();
            assertTrue(phase >= 0 && phase < 1_000_000_000L);
            tenths[(int) (phase / 100_000_000L)]++;
        }
        for (int n : tenths) assertTrue(n > 850 && n < 1150, "10,000 phases in tenths of the interval: " + java.util.Arrays.toString(tenths));
        assertEquals(new Target(LOOPBACK, 80, c).phaseNanos(), new Target(LOOPBACK, 80, c).phaseNanos());
    }
}
