package io.vgw.maglev;

import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * What a Maglev table is a function of: the servers' identities in canonical order, their effective weights and the
 * table size. Two services with equal pools get byte-identical tables, so a pool is the key under which tables are
 * shared and reused (equality and hash over the arrays' contents).
 */
public record Pool(long[] identities, int[] weights, int tableSize) {

    /** A service's pool; servers failing {@code up} (e.g. health) keep their place with weight 0. */
    public static Pool of(ServiceConfig service, Predicate<RealServer> up) {
        int n = service.servers().size();
        long[] identities = new long[n];
        int[] weights = new int[n];
        for (int i = 0; i < n; i++) {
            RealServer r = service.servers().get(i);
            identities[i] = service.key(r).identity();
            weights[i] = up.test(r) ? r.weight() : 0;
        }
        return new Pool(identities, weights, service.tableSize());
    }

    public MaglevTable build() {
        return Maglev.build(identities, weights, tableSize);
    }

    /** The heap bytes of this pool's table (see {@link MaglevTable#bytes}). */
    public long tableBytes() {
        return MaglevTable.bytes(tableSize, identities.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Pool p && tableSize == p.tableSize && Arrays.equals(identities, p.identities)
                && Arrays.equals(weights, p.weights);
    }

    /**
     * Each identity multiplied by an odd 64-bit constant before it is folded in: an identity is address << 16 | port,
     * so Arrays.hashCode's (int) (v ^ v >>> 32) varies only in its upper 16 bits, and 10,000 pools of consecutive
     * addresses fell into 513 of a map's 16,384 buckets (up to 26 in one).
     */
    @Override
    public int hashCode() {
        int h = tableSize;
        for (long identity : identities) h = 31 * h + Long.hashCode(identity * 0x9e3779b97f4a7c15L);
        return 31 * h + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return "Pool" + Arrays.toString(identities) + Arrays.toString(weights) + "/" + tableSize;
    }
}
