package io.vgw.health;

import io.vgw.config.HealthCheck;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * What one probe does and how results become a verdict: a service's {@link HealthCheck} without its port (the
 * {@link Target} holds the port to probe). Fields a kind does not use are normalised away, so two services whose
 * checks differ only there share one probe.
 *
 * @param path   http: the path to GET (null for tcp)
 * @param expect http: the status that means up (0 for tcp)
 * @param rise   consecutive successes that bring a down target up
 * @param fall   consecutive failures that take an up target down
 * @param reuse  http: keep the connection between probes (HTTP/1.1 keep-alive, see {@link Probe}); false for tcp
 */
public record Check(Kind kind, String path, int expect, Duration interval, Duration timeout, int rise, int fall,
                    boolean reuse) {
    public enum Kind { TCP, HTTP }

    public Check {
        if (kind == Kind.TCP) {
            path = null;
            expect = 0;
            reuse = false;
        }
        if (!timeout.isPositive() || timeout.compareTo(interval) >= 0) {
            throw new IllegalArgumentException("timeout " + timeout + " must be positive and shorter than interval " + interval);
        }
        if (rise < 1 || fall < 1) throw new IllegalArgumentException("rise and fall must be at least 1");
    }

    /** The check a service's config asks for; {@link HealthCheck.Type#NONE} has none (every server counts as up). */
    public static Check of(HealthCheck h) {
        Kind kind = switch (h.type()) {
            case TCP -> Kind.TCP;
            case HTTP -> Kind.HTTP;
            case NONE -> throw new IllegalArgumentException("health type none has no check");
        };
        return new Check(kind, h.path() == null ? "/" : h.path(), h.expect(), h.interval(), h.timeout(), h.rise(), h.fall(),
                h.reuseConnection());
    }

    public static Check tcp(Duration interval, Duration timeout, int rise, int fall) {
        return new Check(Kind.TCP, null, 0, interval, timeout, rise, fall, false);
    }

    /**
     * An http check with a new connection per probe, as the config's default ({@code reuse_connection: false});
     * {@link #withReuse} keeps the connection.
     */
    public static Check http(String path, int expect, Duration interval, Duration timeout, int rise, int fall) {
        return new Check(Kind.HTTP, path, expect, interval, timeout, rise, fall, false);
    }

    /** The same check with a new connection per probe ({@code reuse} false) or a kept one. */
    public Check withReuse(boolean r) {
        return new Check(kind, path, expect, interval, timeout, rise, fall, r);
    }

    /**
     * The request of an http check, with a Host header naming the server, since many HTTP/1.1 servers refuse a
     * request without one. On a kept connection HTTP/1.1 (keep-alive is its default), else HTTP/1.0 (the server
     * closes after answering).
     */
    byte[] request(String host) {
        return ("GET " + path + (reuse ? " HTTP/1.1" : " HTTP/1.0") + "\r\nHost: " + host
                + "\r\nUser-Agent: vgw-health\r\nAccept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** e.g. "http GET /healthz expect 200 every 1s timeout 500ms rise 2 fall 3" */
    public String describe() {
        String what = kind == Kind.TCP ? "tcp connect" : "http GET " + path + " expect " + expect + (reuse ? "" : " new connection each");
        return what + " every " + io.vgw.config.Durations.format(interval) + " timeout "
                + io.vgw.config.Durations.format(timeout) + " rise " + rise + " fall " + fall;
    }
}
