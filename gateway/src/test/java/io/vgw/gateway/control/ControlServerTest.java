package io.vgw.gateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.api.ApiJson;
import io.vgw.config.load.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The control server on a real unix socket, spoken to as curl --unix-socket would. */
class ControlServerTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    @TempDir
    Path tmp;

    record Http(int status, JsonNode body) {}

    /** One HTTP/1.1 exchange on a fresh connection (Connection: close, then read to the end). */
    static Http call(Path socket, String method, String path, String body) throws IOException {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\nHost: vgw\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + content.length + "\r\n\r\n";
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) ch.write(b);
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (ch.read(buffer) >= 0) {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            String text = answer.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.substring(9, 12));
            return new Http(status, ApiJson.MAPPER.readTree(text.substring(text.indexOf("\r\n\r\n") + 4)));
        }
    }

    @Test
    void servesStatusAndConfigOnAPrivateSocket() throws Exception {
        Path socket = tmp.resolve("run/vgw/lb1.sock");
        FakeGateway gateway = new FakeGateway();
        try (ControlServer server = ControlServer.start(socket, gateway, TIMEOUT)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
            try (var listing = Files.list(socket.getParent())) {
                assertEquals(1, listing.count(), "no temporary name left behind");
            }
            Http status = call(socket, "GET", "/v1/status", "");
            assertEquals(200, status.status());
            assertEquals("lb1", status.body().path("node").asString());

            Http applied = call(socket, "PUT", "/v1/config",
                    ControlHandlerTest.configBody("r1", ConfigLoader.readDirectory(ControlHandlerTest.EXAMPLES)));
            assertEquals(200, applied.status(), applied.body().toString());
            assertEquals(1, applied.body().path("generation").asLong());
            assertEquals(1, call(socket, "GET", "/v1/status", "").body().path("generation").asLong());

            IOException second = assertThrows(IOException.class, () -> ControlServer.start(socket, new FakeGateway(), TIMEOUT));
            assertEquals("another process (a running gateway?) answers on " + server.socket()
                    + "; stop it first, or give this gateway another control.socket", second.getMessage());
            assertEquals(200, call(socket, "GET", "/v1/status", "").status(), "the first server is unharmed");
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "close removes the socket file");
    }

    @Test
    void aDeadDaemonsSocketIsReplaced() throws Exception {
        Path socket = tmp.resolve("vgw.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        } // closed without unlinking: what a killed daemon leaves
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        try (ControlServer server = ControlServer.start(socket, new FakeGateway(), TIMEOUT)) {
            assertEquals(200, call(server.socket(), "GET", "/v1/status", "").status());
        }
    }

    @Test
    void aFileThatIsNoSocketIsLeftAlone() throws Exception {
        Path socket = tmp.resolve("vgw.sock");
        Files.writeString(socket, "precious");
        IOException e = assertThrows(IOException.class, () -> ControlServer.start(socket, new FakeGateway(), TIMEOUT));
        assertEquals(socket + " exists and is not a socket; remove it or set another control.socket", e.getMessage());
        assertEquals("precious", Files.readString(socket));
    }

    @Test
    void aClientThatTricklesItsBodyIsCutOffAndOthersAreServedMeanwhile() throws Exception {
        Path socket = tmp.resolve("slow.sock");
        FakeGateway gateway = new FakeGateway();
        try (ControlServer server = ControlServer.start(socket, gateway, 1 << 20, Duration.ofMillis(500));
             SocketChannel slow = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            slow.connect(UnixDomainSocketAddress.of(socket));
            slow.write(ByteBuffer.wrap(("PUT /v1/config HTTP/1.1\r\nHost: vgw\r\nContent-Length: 100000\r\n\r\n{\"files\": [")
                    .getBytes(StandardCharsets.US_ASCII)));
            long started = System.nanoTime();
            AtomicInteger trickled = new AtomicInteger();
            Thread trickle = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (int i = 0; i < 1000; i++) { // a byte every 20 ms for 20 s: never idle long, never done
                        slow.write(ByteBuffer.wrap(new byte[] {' '}));
                        trickled.incrementAndGet();
                        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
                    }
                } catch (IOException closedByTheServer) {
                    // expected: the gateway gave up on this client
                }
            });
            for (int i = 0; i < 3; i++) assertEquals(200, call(socket, "GET", "/v1/status", "").status(), "others are served");

            String text = readAll(slow);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(text.startsWith("HTTP/1.1 408 "), text);
            assertTrue(text.contains("{\"error\":\"no whole request within 500 ms (control.request_timeout); send the request at once\"}"), text);
            trickle.join(30_000);
            assertFalse(trickle.isAlive());
            assertTrue(trickled.get() < 1000, "cut off before the body ended: after " + millis + " ms, " + trickled + " bytes");
            assertTrue(gateway.applied.isEmpty());
        }
    }

    @Test
    void aConnectionThatSaysNothingIsClosedToo() throws Exception {
        Path socket = tmp.resolve("mute.sock");
        try (ControlServer server = ControlServer.start(socket, new FakeGateway(), 1 << 20, Duration.ofMillis(200));
             SocketChannel mute = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            mute.connect(UnixDomainSocketAddress.of(socket));
            assertTrue(readAll(mute).startsWith("HTTP/1.1 408 "));
        }
    }

    /**
     * What the server sent until it closed. Closing on a client whose bytes it did not read makes the kernel reset
     * the connection: the answer before the reset is what counts.
     */
    static String readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        try {
            while (ch.read(buffer) >= 0) {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
        } catch (java.net.SocketException reset) {
            if (answer.size() == 0) throw reset;
        }
        return answer.toString(StandardCharsets.UTF_8);
    }
}
