package io.vgw.config;

import java.util.List;

/**
 * A virtual service: traffic to vip:port/protocol is spread over the pool by weighted Maglev.
 *
 * @param port      0 = every port of the VIP for this protocol (a specific port's service wins over it)
 * @param tableSize Maglev lookup table size, a prime at least 100 × the pool size
 * @param servers   sorted by {@link ServerKey}: the order Maglev and every node use
 */
public record ServiceConfig(String name, int vip, int port, Protocol protocol, int tableSize, Timeouts timeouts,
                            HealthCheck health, List<RealServer> servers) {
    public static final int DEFAULT_TABLE_SIZE = 65537;

    public ServiceConfig {
        servers = List.copyOf(servers.stream()
                .sorted(java.util.Comparator.comparing((RealServer s) -> s.key(port))).toList());
    }

    public ServerKey key(RealServer server) {
        return server.key(port);
    }

    /** vip:port/protocol as people write it, e.g. 192.0.2.10:80/tcp. */
    public String endpoint() {
        return Ipv4.format(vip) + ":" + (port == 0 ? "*" : Integer.toString(port)) + "/" + protocol.label();
    }
}
