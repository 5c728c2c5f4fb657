package io.vgw.maglev;

import io.vgw.config.RealServer;
import io.vgw.config.ServerKey;
import io.vgw.config.ServiceConfig;
import java.util.List;
import java.util.function.Predicate;

/**
 * A service's Maglev table over its pool: the answer to "which server gets this flow" without packets, for plans,
 * tests and the lab alike.
 *
 * @param servers the pool in canonical order; table entries index it
 * @param keys    each server's identity, in the same order
 */
public record ServiceTable(ServiceConfig service, List<RealServer> servers, List<ServerKey> keys, MaglevTable table) {

    /** Every configured server in, with its configured weight. */
    public static ServiceTable of(ServiceConfig service) {
        return of(service, s -> true);
    }

    /** Servers failing {@code up} (e.g. health) keep their place in {@link #servers} but get no entries. */
    public static ServiceTable of(ServiceConfig service, Predicate<RealServer> up) {
        return new ServiceTable(service, service.servers(), service.servers().stream().map(service::key).toList(),
                Pool.of(service, up).build());
    }

    /** The server a flow hash maps to, or null when no server has a positive weight. */
    public RealServer serverFor(long flowHash) {
        int index = table.serverFor(flowHash);
        return index == Maglev.NONE ? null : servers.get(index);
    }

    /** The server for a client's flow to this service (port-0 services take the destination port given). */
    public RealServer serverFor(int clientIp, int clientPort, int dstPort) {
        return serverFor(Hashing.flow(clientIp, service.vip(), clientPort, dstPort, service.protocol().number));
    }

    /** A server's share of the table (new flows), 0..1, by its index in {@link #servers}. */
    public double share(int server) {
        return (double) table.entries(server) / table.size();
    }
}
