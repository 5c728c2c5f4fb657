package io.vgw.reconciler.git;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code git http-backend} (smart HTTP) behind the JDK's HTTP server on a loopback port, as a CGI script:
 * what a Git host serves over http(s), optionally behind basic authentication.
 */
final class HttpGitServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Path root;
    private final String authorization;

    /** Serves the repositories under {@code root}; with a user and password, only to requests that carry them. */
    HttpGitServer(Path root, String user, String password) throws IOException {
        this.root = root;
        this.authorization = user == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    String url(String repository) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + repository;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (authorization != null && !authorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"git\"");
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            ProcessBuilder builder = new ProcessBuilder("git", "http-backend");
            Map<String, String> env = builder.environment();
            env.put("GIT_PROJECT_ROOT", root.toString());
            env.put("GIT_HTTP_EXPORT_ALL", "1");
            env.put("GIT_CONFIG_NOSYSTEM", "1");
            env.put("REQUEST_METHOD", exchange.getRequestMethod());
            env.put("PATH_INFO", exchange.getRequestURI().getPath());
            env.put("QUERY_STRING", exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery());
            env.put("REMOTE_ADDR", "127.0.0.1");
            exchange.getRequestHeaders().forEach((name, values) -> {
                String key = name.toUpperCase().replace('-', '_');
                if (key.equals("CONTENT_TYPE")) env.put(key, values.getFirst());
                else if (key.equals("GIT_PROTOCOL")) env.put(key, values.getFirst());
                else env.put("HTTP_" + key, values.getFirst());
            });
            Process process = builder.start();
            executor.submit(() -> {
                try (InputStream body = exchange.getRequestBody(); OutputStream in = process.getOutputStream()) {
                    body.transferTo(in);
                }
                return null;
            });
            try (InputStream out = new BufferedInputStream(process.getInputStream())) {
                int status = 200;
                for (String line = readLine(out); !line.isEmpty(); line = readLine(out)) {
                    int colon = line.indexOf(':');
                    String name = line.substring(0, colon).trim();
                    String value = line.substring(colon + 1).trim();
                    if (name.equalsIgnoreCase("Status")) status = Integer.parseInt(value.split(" ")[0]);
                    else exchange.getResponseHeaders().add(name, value);
                }
                exchange.sendResponseHeaders(status, 0);
                try (OutputStream response = exchange.getResponseBody()) {
                    out.transferTo(response);
                }
            } finally {
                if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) if (b != '\r') line.write(b);
        return line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
