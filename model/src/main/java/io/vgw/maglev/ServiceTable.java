package io.vgw.maglev;

import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import java.util.List;
import java.util.function.Predicate;

/**
 * A service's Maglev table over its pool: the answer to "which server gets this flow" without packets, for plans,
 * tests and the gateway's state builder alike.
 *
 * @param servers the pool in canonical order; table entries index it
 */
public record ServiceTable(ServiceConfig service, List<RealServer> servers, long[] identities, int[] table) {

    /** Every configured server in, with its configured weight. */
    public static ServiceTable of(ServiceConfig service) {
        return of(service, s -> true);
    }

    /** Servers failing {@code up} (e.g. health) keep their place in {@link #servers} but get no entries. */
    public static ServiceTable of(ServiceConfig service, Predicate<RealServer> up) {
        List<RealServer> servers = service.servers();
        long[] identities = new long[servers.size()];
        int[] weights = new int[servers.size()];
        for (int i = 0; i < servers.size(); i++) {
            identities[i] = servers.get(i).identity(service.port());
            weights[i] = up.test(servers.get(i)) ? servers.get(i).weight() : 0;
        }
        return new ServiceTable(service, servers, identities, Maglev.build(identities, weights, service.tableSize()));
    }

    /** The server a flow hash maps to, or null when no server has a positive weight. */
    public RealServer serverFor(long flowHash) {
        int index = table[Hashing.slot(flowHash, table.length)];
        return index == Maglev.NONE ? null : servers.get(index);
    }

    /** The server for a client's flow to this service (port-0 services take the destination port given). */
    public RealServer serverFor(int clientIp, int clientPort, int dstPort) {
        return serverFor(Hashing.flow(clientIp, service.vip(), clientPort, dstPort, service.protocol().number));
    }

    /** Table entries per server, in {@link #servers} order. */
    public int[] entries() {
        int[] counts = new int[servers.size()];
        for (int index : table) if (index != Maglev.NONE) counts[index]++;
        return counts;
    }
}
