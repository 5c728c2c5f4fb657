package io.vgw.gateway.state;

import io.vgw.config.Config;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import io.vgw.gateway.dataplane.ForwardingState;
import io.vgw.gateway.dataplane.Ticks;
import io.vgw.maglev.Footprint;
import io.vgw.maglev.MaglevTable;
import io.vgw.maglev.Pool;
import io.vgw.parallel.Parallel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntToLongFunction;

/**
 * Builds forwarding states from a config, the health of its servers and the next hops towards them. Used by one
 * thread (the gateway's control thread).
 *
 * <p>Maglev tables are keyed by {@link Pool} (identities, effective weights, size): services with equal pools share
 * one table, and a table of the live state whose pool did not change is reused as is, so a swap allocates only what
 * changed; tables that must be built are built in parallel. Before a config is built, {@link #requireFits} estimates
 * the state's heap ({@link Footprint}) with what the live state holds, so a config that would exceed the budget is
 * refused with nothing built. Server ids are taken for good only when the state is built ({@link ServerIds}).
 */
public final class StateBuilder {
    private final ServerIds ids;
    private final long budget;
    /** The live state's tables by pool, and each service's. */
    private Map<Pool, MaglevTable> tables = Map.of();
    private Map<String, MaglevTable> byService = Map.of();
    private long liveBytes;
    private long generation;

    /** @param budget bytes the forwarding state may take on the heap, the old one included during a swap */
    public StateBuilder(ServerIds ids, long budget) {
        this.ids = ids;
        this.budget = budget;
    }

    public ServerIds ids() {
        return ids;
    }

    /** The Maglev table a service got in the last build (for status: each server's share). */
    public MaglevTable table(String service) {
        return byService.get(service);
    }

    /** The estimated heap bytes of the live state. */
    public long liveBytes() {
        return liveBytes;
    }

    /**
     * Refuses a config whose forwarding state would not fit the budget while it replaces the live one: the tables
     * it cannot reuse plus the bookkeeping, on top of the live state (a health or next-hop rebuild is not checked:
     * it keeps the config, so the table sizes).
     *
     * @throws IllegalStateException with the figures, when it does not fit
     */
    public void requireFits(Config config, Map<String, Set<Integer>> down) {
        Set<Pool> distinct = new LinkedHashSet<>();
        int servers = 0;
        for (ServiceConfig s : config.services()) {
            Set<Integer> serviceDown = down.getOrDefault(s.name(), Set.of());
            distinct.add(Pool.of(s, r -> !serviceDown.contains(r.address())));
            servers += s.servers().size();
        }
        long bookkeeping = Footprint.bookkeeping(config.services().size(), servers);
        long bytes = Footprint.tables(distinct) + bookkeeping;
        long peak = liveBytes + Footprint.tables(distinct.stream().filter(p -> !tables.containsKey(p)).toList()) + bookkeeping;
        if (peak > budget) {
            throw new IllegalStateException(String.format(
                    "this config's forwarding state needs about %s (%d Maglev tables for %d services) and, while it "
                            + "replaces the live one (%s), %s in all; the budget is %s (forwarding_budget_mb in the "
                            + "gateway config, default 3/4 of the heap). Use smaller maglev.table_size, fewer distinct "
                            + "pools, or give the gateway more heap",
                    Footprint.format(bytes), distinct.size(), config.services().size(), Footprint.format(liveBytes),
                    Footprint.format(peak), Footprint.format(budget)));
        }
    }

    /**
     * @param down     per service name, the addresses of its servers that health checks hold down
     * @param nextHops the next hop's MAC towards an address, 0 while unknown
     * @throws IllegalStateException when the config needs more server ids than max_servers allows (nothing changed)
     */
    public ForwardingState build(Config config, Map<String, Set<Integer>> down, IntToLongFunction nextHops) {
        List<ServiceConfig> services = config.services();
        List<Pool> pools = new ArrayList<>(services.size());
        int serverCount = 0;
        for (ServiceConfig s : services) {
            Set<Integer> serviceDown = down.getOrDefault(s.name(), Set.of());
            pools.add(Pool.of(s, r -> !serviceDown.contains(r.address())));
            serverCount += s.servers().size();
        }
        Set<Pool> distinct = new LinkedHashSet<>(pools);
        List<Pool> missing = distinct.stream().filter(p -> !tables.containsKey(p)).toList();
        long bytes = Footprint.tables(distinct) + Footprint.bookkeeping(services.size(), serverCount);
        Map<Pool, MaglevTable> built = new HashMap<>();
        for (Pool p : distinct) {
            MaglevTable t = tables.get(p);
            if (t != null) built.put(p, t);
        }

        // Every server of every service in order, with its id and the longest idle timeout its entries can get.
        List<ServerIds.Pair> pairs = new ArrayList<>(serverCount);
        List<ForwardingState.ServerSpec> servers = new ArrayList<>(serverCount);
        int[] ticks = new int[serverCount];
        int[][] assigned = new int[1][];
        // The tables are most of the work: the pool's threads start on them while this one lays out the servers (on
        // one thread, 100,000 of them took a few tenths of a second that the tables waited for).
        List<MaglevTable> fresh = Parallel.map(missing, Pool::build, () -> {
            for (ServiceConfig s : services) {
                for (RealServer r : s.servers()) pairs.add(new ServerIds.Pair(s.name(), s.key(r)));
            }
            assigned[0] = ids.assign(pairs);
            for (ServiceConfig s : services) {
                Set<Integer> serviceDown = down.getOrDefault(s.name(), Set.of());
                int longest = longestTicks(s);
                for (RealServer r : s.servers()) {
                    int at = servers.size();
                    ticks[at] = longest;
                    servers.add(new ForwardingState.ServerSpec(assigned[0][at], r.address(),
                            nextHops.applyAsLong(r.address()), !serviceDown.contains(r.address())));
                }
            }
        });
        for (int i = 0; i < missing.size(); i++) built.put(missing.get(i), fresh.get(i));

        List<ForwardingState.ServiceSpec> serviceSpecs = new ArrayList<>(services.size());
        Map<String, MaglevTable> named = new HashMap<>();
        int base = 0;
        for (int i = 0; i < services.size(); i++) {
            ServiceConfig s = services.get(i);
            MaglevTable table = built.get(pools.get(i));
            named.put(s.name(), table);
            var t = s.timeouts();
            serviceSpecs.add(new ForwardingState.ServiceSpec(s.name(), s.vip(), s.port(), s.protocol().number, table,
                    base, Ticks.of(t.tcpSyn()), Ticks.of(t.tcp()), Ticks.of(t.tcpFin()), Ticks.of(t.udp())));
            base += s.servers().size();
        }
        ForwardingState state = ForwardingState.of(generation + 1, serviceSpecs, servers, ids.max());
        generation++;
        ids.commit(pairs, assigned[0], ticks);
        tables = built;
        byService = named;
        liveBytes = bytes;
        return state;
    }

    /** The longest idle timeout a service gives its connection entries, in ticks. */
    private static int longestTicks(ServiceConfig s) {
        var t = s.timeouts();
        return Math.max(Math.max(Ticks.of(t.tcpSyn()), Ticks.of(t.tcp())), Math.max(Ticks.of(t.tcpFin()), Ticks.of(t.udp())));
    }
}
