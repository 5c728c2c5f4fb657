package io.vgw.health;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A loopback server with one behaviour per connection, accepting on its own thread until closed. */
final class TestServer implements AutoCloseable {
    interface Behaviour {
        void serve(Socket s, int n) throws IOException;
    }

    final ServerSocket socket;
    final AtomicInteger connections = new AtomicInteger();
    private final Thread thread;

    private TestServer(int backlog, Behaviour behaviour, boolean accept) throws IOException {
        socket = new ServerSocket(0, backlog, InetAddress.getLoopbackAddress());
        thread = Thread.ofPlatform().daemon().name("test-server-" + socket.getLocalPort()).start(() -> {
            while (accept && !socket.isClosed()) {
                try (Socket s = socket.accept()) {
                    behaviour.serve(s, connections.incrementAndGet());
                } catch (IOException e) {
                    // the checker resets connections; the next one is served alike
                }
            }
        });
    }

    static TestServer serving(Behaviour behaviour) throws IOException {
        return new TestServer(50, behaviour, true);
    }

    /** Listens (the kernel completes handshakes into the backlog) but never accepts: a hung server. */
    static TestServer neverAccepting() throws IOException {
        return new TestServer(50, null, false);
    }

    int port() {
        return socket.getLocalPort();
    }

    /** Reads the request head (bounded), then answers {@code response}. */
    static Behaviour http(String response) {
        return (s, n) -> {
            readHead(s.getInputStream());
            s.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
        };
    }

    static Behaviour status(int code) {
        return http("HTTP/1.1 " + code + " X\r\nContent-Length: 0\r\n\r\n");
    }

    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        for (int b; head.length() < 4096 && !head.toString().endsWith("\r\n\r\n") && (b = in.read()) >= 0; ) head.append((char) b);
        return head.toString();
    }

    static void writeAll(OutputStream out, byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
