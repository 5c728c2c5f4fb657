package io.vgw.reconciler.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/** {@code vgw reconcile status|suspend|resume|pin}: one HTTP request on the reconciler's control socket. */
public final class ReconcilerClient {
    private static final int MAX_ANSWER = 16 << 20;

    private final Path socket;
    private final Duration timeout;

    /** @param timeout a pin applies before it answers: allow a fetch and an apply */
    public ReconcilerClient(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    public JsonNode status() throws IOException {
        return call("GET", "/v1/status");
    }

    /** @param action reconcile, suspend, resume */
    public JsonNode post(String action) throws IOException {
        return call("POST", "/v1/" + action);
    }

    public JsonNode pin(String revision) throws IOException {
        return call("POST", "/v1/pin?revision=" + URLEncoder.encode(revision, StandardCharsets.UTF_8));
    }

    private JsonNode call(String method, String path) throws IOException {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new IOException("no reconciler answers on " + socket + " (" + e.getMessage()
                    + "); is `vgw reconcile` running? give its control.socket with --socket", e);
        }
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().factory());
        watchdog.schedule(() -> {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing is all the watchdog can do
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try (ch) {
            String request = method + " " + path + " HTTP/1.1\r\nHost: vgw\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(16 << 10);
            while (ch.read(buffer) >= 0) {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
                if (answer.size() > MAX_ANSWER) throw new IOException("the reconciler's answer is over 16 MiB");
            }
            String text = answer.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/1.1 ") || split < 0) throw new IOException("not an HTTP answer from " + socket);
            int code = Integer.parseInt(text.substring(9, 12));
            JsonNode body = ReconcilerServer.JSON.readTree(text.substring(split + 4));
            if (code != 200) throw new IOException("the reconciler answered " + code + ": " + body.path("error").asString(""));
            return body;
        } catch (java.nio.channels.AsynchronousCloseException e) {
            throw new IOException("the reconciler on " + socket + " did not answer within " + timeout.toSeconds() + " s", e);
        } finally {
            watchdog.shutdownNow();
        }
    }
}
