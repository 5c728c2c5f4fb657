package io.vgw.config;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * A TCP address to listen on, as gateway.yaml's and reconcile.yaml's {@code listen}: IPv4 {@code ADDR:PORT}, or IPv6
 * in brackets, where a link-local address names its link ({@code [fe80::2%mgmt]:9180}). One grammar for every
 * endpoint, so a management link's address works for the gateway's metrics as for the reconciler's webhook.
 */
public final class Listen {
    /** The schemas' pattern (without anchors): a flag is checked as its file would be. */
    public static final String PATTERN = "([0-9.]+|\\[[0-9a-fA-F:.]+(%[A-Za-z0-9_.-]{1,15})?\\]):[0-9]{1,5}";

    private Listen() {}

    /** @throws IllegalArgumentException naming the text and the form it should have */
    public static InetSocketAddress parse(String text) {
        if (!text.matches(PATTERN)) {
            throw new IllegalArgumentException("'" + text + "' is not ADDRESS:PORT, e.g. 127.0.0.1:9100 or [fe80::2%mgmt]:9100");
        }
        int colon = text.lastIndexOf(':');
        int port = Integer.parseInt(text.substring(colon + 1));
        if (port > 65535) throw new IllegalArgumentException("'" + text + "': port " + port + " is above 65535");
        String host = text.substring(0, colon);
        if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
        return new InetSocketAddress(host, port);
    }

    /** The bound address as {@link #parse} reads it (a free port picked for port 0 shows as the real one). */
    public static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (address.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
