package io.vgw.config;

import java.time.Duration;

/**
 * How the gateway decides a real server is up, as keepalived does.
 *
 * @param type     tcp (connect succeeds), http (GET path answers expect), or none (always up)
 * @param path     http only: the path to GET
 * @param expect   http only: the status that means up
 * @param port     0 = the server's port, else the service's
 * @param rise     consecutive successes before a down server is up
 * @param fall     consecutive failures before an up server is down
 * @param reuseConnection http only: keep the connection open between probes (HTTP/1.1 keep-alive), as Envoy does;
 *                 false: a new connection per probe, as HAProxy does
 */
public record HealthCheck(Type type, String path, int expect, int port, Duration interval, Duration timeout,
                          int rise, int fall, boolean reuseConnection) {
    public enum Type { TCP, HTTP, NONE }

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_RISE = 2;
    public static final int DEFAULT_FALL = 3;

    /** The port a probe of this server connects to. */
    public int probePort(RealServer server, int servicePort) {
        if (server.port() != 0) return server.port();
        return port != 0 ? port : servicePort;
    }
}
