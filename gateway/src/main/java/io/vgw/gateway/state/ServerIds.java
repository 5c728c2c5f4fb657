package io.vgw.gateway.state;

import java.util.HashMap;
import java.util.Map;

/**
 * Stable ids for (service, real server) pairs, for the gateway's lifetime: connection entries and per-server
 * counters are keyed by them, so both survive state swaps. Ids are never reused (a recycled id would carry another
 * server's counters and connections); the bound is the gateway's {@code max_servers} setting. Used by the one
 * thread that builds states.
 */
public final class ServerIds {
    /** (service, address) → id */
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<Integer, String> labels = new HashMap<>();
    private final int max;

    public ServerIds(int max) {
        this.max = max;
    }

    public int max() {
        return max;
    }

    /** The id of a server in a service, assigning the next one on first sight. */
    public int id(String service, String server) {
        String key = service + "/" + server;
        Integer id = ids.get(key);
        if (id != null) return id;
        if (ids.size() >= max) {
            throw new IllegalStateException("more than " + max + " distinct (service, server) pairs since the gateway "
                    + "started; raise max_servers in the gateway config and restart it");
        }
        int next = ids.size();
        ids.put(key, next);
        labels.put(next, key);
        return next;
    }

    /** True when {@code count} new pairs would still fit (checked before a state is built, so a swap is all or nothing). */
    public boolean fits(Iterable<String> keys) {
        int fresh = 0;
        for (String k : keys) if (!ids.containsKey(k)) fresh++;
        return ids.size() + fresh <= max;
    }

    /** "service/address" for an id, for metrics labels. */
    public String label(int id) {
        return labels.get(id);
    }
}
