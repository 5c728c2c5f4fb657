package io.vgw.maglev;

import io.vgw.config.Config;
import io.vgw.config.ServiceConfig;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * An estimate of the heap a gateway's forwarding state takes for a config, computed before anything is built, so
 * that `vgw validate` and the gateway can refuse a config that would not fit. Maglev tables dominate: one per
 * distinct pool (services with equal pools share one), {@link MaglevTable#bytes} each; the rest is per service and
 * per server bookkeeping, counted generously.
 */
public final class Footprint {
    /** Per server: the state's flat arrays, the build's specs and the config objects behind them. */
    static final long PER_SERVER = 128;
    /** Per service: its name, timeouts, map slots and specs. */
    static final long PER_SERVICE = 512;

    private Footprint() {}

    /** Bytes for a config, every server up (health only ever lowers weights: same table sizes). */
    public static long of(Config config) {
        Set<Pool> pools = new HashSet<>();
        int servers = 0;
        for (ServiceConfig s : config.services()) {
            pools.add(Pool.of(s, r -> true));
            servers += s.servers().size();
        }
        return tables(pools) + bookkeeping(config.services().size(), servers);
    }

    /** Bytes of these (distinct) pools' tables, with the pool keys a table cache holds. */
    public static long tables(Collection<Pool> pools) {
        long bytes = 0;
        for (Pool p : pools) bytes += p.tableBytes() + 12L * p.identities().length + 64;
        return bytes;
    }

    public static long bookkeeping(int services, int servers) {
        return services * PER_SERVICE + servers * PER_SERVER;
    }

    /**
     * Bytes as people read them: "655.4 MiB". Integer arithmetic, not String.format: the first Formatter of a JVM
     * loads locale data, which a short command like `vgw validate` would otherwise pay for.
     */
    public static String format(long bytes) {
        long tenths = (bytes * 10 + (1 << 19)) >> 20; // MiB to one decimal, rounded half up
        return tenths / 10 + "." + tenths % 10 + " MiB";
    }
}
