package io.vgw.lab;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real server's programs in the lab, answering on every local address (the VIPs included):
 * <ul>
 *   <li>HTTP on the given ports: {@code /} answers the server's name, {@code /healthz} "ok",
 *       {@code /bytes?n=N} N bytes (throughput);</li>
 *   <li>TCP echo on port 7: the server's name on a line, then every byte back (long-lived connections);</li>
 *   <li>UDP echo on port 7: the server's name for every datagram;</li>
 *   <li>TCP discard on port 9: reads to the end, then answers how many bytes it got (upload throughput).</li>
 * </ul>
 * Faults for health-check tests, set over HTTP on any HTTP port: {@code /fault?port=P&healthz=MODE} makes port P's
 * {@code /healthz} answer 200 ({@code ok}), 500 ({@code 500}), accept and never answer ({@code hang}), or stops
 * port P's listener ({@code closed}; any other mode starts it again). {@code /connections?port=P} lists how many
 * connections each remote address opened to port P, on an HTTP port how many {@code /healthz} requests it made (one
 * per health probe, whether the LB node keeps its connection or not).
 */
public final class LabServer implements AutoCloseable {
    public static final int ECHO_PORT = 7;
    public static final int DISCARD_PORT = 9;
    private static final byte[] ZEROS = new byte[64 * 1024];

    private final String name;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final java.util.Map<Integer, HttpServer> http = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<Integer, String> healthz = new java.util.concurrent.ConcurrentHashMap<>();
    /** "port remote-address" → connections accepted */
    private final java.util.Map<String, java.util.concurrent.atomic.LongAdder> connections = new java.util.concurrent.ConcurrentHashMap<>();
    private final ServerSocket echo;
    private final ServerSocketChannel discard;
    private final DatagramSocket udp;

    public LabServer(String name, int... httpPorts) throws IOException {
        this.name = name;
        echo = new ServerSocket(ECHO_PORT, 1024);
        discard = ServerSocketChannel.open().bind(new InetSocketAddress(DISCARD_PORT), 128);
        udp = new DatagramSocket(ECHO_PORT);
        threads.submit(() -> accept(echo, this::echo, threads));
        // Discard connections are read on platform threads, as a tuned server's would be: a virtual thread's blocking
        // read goes through the JDK's poller thread and back to a carrier (two wake-ups per read where the kernel's own
        // is one): the reader cost 1.8-2.1 us of CPU per packet of a straight upload, 1.15-1.25 now (README, "The lab's
        // port").
        Executor platform = task -> Thread.ofPlatform().daemon().name(name + "-discard").start(task);
        threads.submit(() -> accept(discard.socket(), s -> discard(s.getChannel()), platform));
        threads.submit(this::answerUdp);
        // HTTP last, in the order given: the lab takes the last HTTP port listening as "everything serves".
        for (int port : httpPorts) listen(port);
    }

    private synchronized void listen(int port) throws IOException {
        if (http.containsKey(port)) return;
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 1024);
        server.createContext("/", exchange -> http(exchange, port));
        server.setExecutor(threads);
        server.start();
        http.put(port, server);
    }

    private void count(int port, InetAddress from) {
        connections.computeIfAbsent(port + " " + from.getHostAddress(), k -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    private void http(HttpExchange exchange, int port) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getQuery();
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            if (path.equals("/healthz")) {
                count(port, exchange.getRemoteAddress().getAddress());
                String mode = healthz.getOrDefault(port, "ok");
                for (int i = 0; i < 6000 && mode.equals("hang"); i++) { // accept, never answer (bounded: 10 min)
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                    mode = healthz.getOrDefault(port, "ok");
                }
                if (mode.equals("500")) send(exchange, 500, "failing\n");
                else send(exchange, 200, "ok\n");
            } else if (path.equals("/fault") && query != null) {
                java.util.Map<String, String> q = new java.util.HashMap<>();
                for (String kv : query.split("&")) q.put(kv.substring(0, Math.max(0, kv.indexOf('='))), kv.substring(kv.indexOf('=') + 1));
                int target = Integer.parseInt(q.getOrDefault("port", "0"));
                String mode = q.getOrDefault("healthz", "ok");
                healthz.put(target, mode);
                send(exchange, 200, "port " + target + " healthz " + mode + "\n");
                if (mode.equals("closed")) {
                    HttpServer server = http.remove(target);
                    if (server != null) threads.submit(() -> server.stop(0));
                } else {
                    listen(target);
                }
            } else if (path.equals("/connections") && query != null && query.startsWith("port=")) {
                String prefix = query.substring(5) + " ";
                StringBuilder out = new StringBuilder();
                connections.forEach((k, v) -> {
                    if (k.startsWith(prefix)) out.append(k.substring(prefix.length())).append(' ').append(v.sum()).append('\n');
                });
                send(exchange, 200, out.toString());
            } else if (path.equals("/bytes") && query != null && query.startsWith("n=")) {
                long n = Long.parseLong(query.substring(2));
                exchange.sendResponseHeaders(200, n);
                try (OutputStream out = exchange.getResponseBody()) {
                    for (long left = n; left > 0; left -= ZEROS.length) out.write(ZEROS, 0, (int) Math.min(left, ZEROS.length));
                }
            } else {
                send(exchange, 200, name + "\n");
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** Accepts connections until the server closes, each counted, then handled on {@code on}. */
    private void accept(ServerSocket server, java.util.function.Consumer<Socket> handler, Executor on) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                count(server.getLocalPort(), s.getInetAddress());
                on.execute(() -> handler.accept(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads to the end into native memory (no copy into the heap), then answers how many bytes it got. */
    private void discard(SocketChannel s) {
        try (s) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
            long total = 0;
            for (int n; (n = s.read(buffer.clear())) > 0; ) total += n;
            s.write(ByteBuffer.wrap((total + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            // the client went away
        }
    }

    private void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            in.transferTo(out);
        } catch (IOException e) {
            // the client went away
        }
    }

    private void answerUdp() {
        byte[] buffer = new byte[2048];
        byte[] reply = name.getBytes(StandardCharsets.UTF_8);
        while (!udp.isClosed()) {
            try {
                DatagramPacket in = new DatagramPacket(buffer, buffer.length);
                udp.receive(in);
                udp.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        http.values().forEach(s -> s.stop(0));
        echo.close();
        discard.close();
        udp.close();
        threads.shutdownNow();
    }
}
