package io.vgw.lab;

import io.vgw.config.Ipv4;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The lab client's requests, made from a thread inside the client namespace ({@link Netns#call}): plain sockets, one
 * new TCP connection per request, so every request is a new flow through the load balancer.
 */
public final class LabClient {
    private static final int TIMEOUT_MILLIS = 5000;

    private LabClient() {}

    /** GET http://address:port/path over a new connection (HTTP/1.0); the body, or an exception. */
    public static String get(int address, int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(Ipv4.format(address), port), TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: " + Ipv4.format(address) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int body = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.") || body < 0) throw new IOException("not an HTTP answer: " + response);
            String status = response.substring(9, Math.min(12, response.length()));
            if (!status.equals("200")) throw new IOException("HTTP " + status + " from " + Ipv4.format(address));
            return response.substring(body + 4);
        }
    }

    /** Which server answered each of n requests: server name → count (failures under "error: ..."). */
    public static Map<String, Integer> spread(int address, int port, int n, Runnable tick) {
        Map<String, Integer> answers = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String who;
            try {
                who = get(address, port, "/").strip();
            } catch (IOException e) {
                who = "error: " + e.getMessage();
            }
            answers.merge(who, 1, Integer::sum);
            tick.run();
        }
        return answers;
    }

    /** Sends {@code bytes} to the discard port over one connection; the bits per second the server confirmed. */
    public static double upload(int address, long bytes) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(Ipv4.format(address), LabServer.DISCARD_PORT), TIMEOUT_MILLIS);
            s.setSoTimeout(60_000);
            byte[] chunk = new byte[256 * 1024];
            long start = System.nanoTime();
            OutputStream out = s.getOutputStream();
            for (long left = bytes; left > 0; left -= chunk.length) out.write(chunk, 0, (int) Math.min(left, chunk.length));
            s.shutdownOutput();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            double seconds = (System.nanoTime() - start) / 1e9;
            if (!answer.equals(Long.toString(bytes))) throw new IOException("server got " + answer + " of " + bytes + " bytes");
            return bytes * 8 / seconds;
        }
    }

    /**
     * A long-lived connection to the lab's TCP echo (port 7): the server names itself first, then echoes what it
     * gets. Owned by one thread.
     */
    public static final class Stream implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final String server;
        private final byte[] buffer = new byte[4096];

        public Stream(int address, int port) throws IOException {
            this(address, port, 0);
        }

        /**
         * @param localPort the client's source port, 0 for an ephemeral one: a test that counts what a flow does on
         *                  a gateway picks ports no earlier connection used, since gateways remember 5-tuples for minutes
         */
        public Stream(int address, int port, int localPort) throws IOException {
            socket = new Socket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(localPort));
            socket.connect(new InetSocketAddress(Ipv4.format(address), port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            in = socket.getInputStream();
            out = socket.getOutputStream();
            StringBuilder name = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) throw new IOException("echo server closed before naming itself");
                name.append((char) c);
            }
            server = name.toString();
        }

        /** The server that answered when the connection opened. */
        public String server() {
            return server;
        }

        /** Sends a chunk and reads it back; an exception means the connection broke (reset) or stalled (timeout). */
        public void roundTrip(byte[] chunk) throws IOException {
            out.write(chunk);
            out.flush();
            int got = 0;
            while (got < chunk.length) {
                int n = in.read(buffer, 0, Math.min(buffer.length, chunk.length - got));
                if (n < 0) throw new IOException("connection closed by " + server);
                got += n;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
