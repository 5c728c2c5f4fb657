package io.vgw.gateway.state;

import io.vgw.config.Config;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import io.vgw.gateway.dataplane.ForwardingState;
import io.vgw.gateway.dataplane.Ticks;
import io.vgw.maglev.Maglev;
import io.vgw.maglev.ServiceTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntToLongFunction;

/**
 * Builds forwarding states from a config, the health of its servers and the next hops towards them. Maglev tables
 * are cached per (service, servers that are down), so a neighbour change or a swap that leaves a pool alone costs no
 * rebuild. Used by one thread (the gateway's control thread).
 */
public final class StateBuilder {
    private final ServerIds ids;
    /** Per service name, the table of the last build and what it was built from (names are unique in a config). */
    private Map<String, Cached> tables = new HashMap<>();
    private long generation;

    private record Cached(ServiceConfig service, Set<Integer> down, ServiceTable table) {}

    public StateBuilder(ServerIds ids) {
        this.ids = ids;
    }

    public ServerIds ids() {
        return ids;
    }

    /** The Maglev table a service got in the last build (for status: each server's share). */
    public ServiceTable table(String service) {
        return tables.get(service).table();
    }

    /**
     * @param down     per service name, the addresses of its servers that health checks hold down
     * @param nextHops the next hop's MAC towards an address, 0 while unknown
     */
    public ForwardingState build(Config config, Map<String, Set<Integer>> down, IntToLongFunction nextHops) {
        List<String> keys = new ArrayList<>();
        for (ServiceConfig s : config.services()) {
            for (RealServer r : s.servers()) keys.add(s.name() + "/" + r.label());
        }
        if (!ids.fits(keys)) {
            throw new IllegalStateException("this config needs more server ids than max_servers (" + ids.max()
                    + ") allows since the gateway started; raise max_servers and restart the gateway");
        }
        List<ForwardingState.ServiceSpec> services = new ArrayList<>();
        List<ForwardingState.ServerSpec> servers = new ArrayList<>();
        Map<String, Cached> used = new HashMap<>();
        for (ServiceConfig s : config.services()) {
            Set<Integer> serviceDown = down.getOrDefault(s.name(), Set.of());
            Cached cached = tables.get(s.name());
            if (cached == null || !cached.service().equals(s) || !cached.down().equals(serviceDown)) {
                cached = new Cached(s, Set.copyOf(serviceDown), ServiceTable.of(s, r -> !serviceDown.contains(r.address())));
            }
            used.put(s.name(), cached);
            ServiceTable table = cached.table();
            int base = servers.size();
            for (RealServer r : s.servers()) {
                servers.add(new ForwardingState.ServerSpec(ids.id(s.name(), r.label()), r.address(),
                        nextHops.applyAsLong(r.address()), !serviceDown.contains(r.address())));
            }
            int[] global = table.table().clone();
            for (int i = 0; i < global.length; i++) if (global[i] != Maglev.NONE) global[i] += base;
            var t = s.timeouts();
            services.add(new ForwardingState.ServiceSpec(s.name(), s.vip(), s.port(), s.protocol().number, global,
                    Ticks.of(t.tcpSyn()), Ticks.of(t.tcp()), Ticks.of(t.tcpFin()), Ticks.of(t.udp())));
        }
        tables = used;
        return ForwardingState.of(++generation, services, servers, ids.max());
    }
}
