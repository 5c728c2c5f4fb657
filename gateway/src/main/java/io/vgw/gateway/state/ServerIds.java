package io.vgw.gateway.state;

import io.vgw.config.ServerKey;
import io.vgw.gateway.dataplane.Ticks;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Ids for (service, server) pairs: connection entries and per-server counters are keyed by them, so both survive
 * state swaps. Ids are below {@code max} (the gateway's {@code max_servers}); used by the one thread that builds
 * states.
 *
 * <p>Life of an id: {@link #assign} proposes ids for a config without changing anything; {@link #commit} makes
 * them live once the state using them is built (a refused or failed apply takes none). An id no longer in the live
 * state is released into quarantine, where it keeps its pair: if the pair comes back (a rename undone, a config
 * applied again) it gets the same id, with its counters and connections. Only once quarantine is over may the id
 * mean another pair.
 *
 * <p>The rule that makes reuse safe: a connection entry records an id and an absolute expiry, refreshed only by a
 * packet forwarded with a state holding that id (the data plane reschedules a flow whose id is not in the state,
 * rewriting the entry). So once the last state holding an id is replaced, every entry naming it expires within the
 * longest idle timeout it was ever given — the longest timeout of the services the pair belonged to, tracked per id
 * — plus the one burst a worker may still run on the old state ({@link #GRACE_NANOS}). That is the quarantine.
 */
public final class ServerIds {
    /** A server of a service: what an id stands for. */
    public record Pair(String service, ServerKey server) {}

    /** Covers the burst a worker may still be forwarding with the state that held a released id. */
    static final long GRACE_NANOS = 1_000_000_000L;

    private record Released(int id, long until) {}

    private final int max;
    private final LongSupplier nanoTime;
    private Map<Pair, Integer> live = new HashMap<>();
    /** Released ids still in quarantine, by the pair they held (revived if it returns). */
    private final Map<Pair, Released> quarantined = new HashMap<>();
    private final Pair[] pairs;
    /** Per id, the longest idle timeout (ticks) of any service it was live in: its quarantine. */
    private final int[] longestTicks;
    /** Ids free for any pair, oldest release first. */
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private int neverUsed;
    private List<Integer> renamed = List.of();

    public ServerIds(int max) {
        this(max, System::nanoTime);
    }

    /** @param nanoTime the clock quarantine is measured with (tests pass a fake) */
    public ServerIds(int max, LongSupplier nanoTime) {
        this.max = max;
        this.nanoTime = nanoTime;
        this.pairs = new Pair[max];
        this.longestTicks = new int[max];
    }

    public int max() {
        return max;
    }

    /** The live id of a pair, or -1. */
    public int id(Pair pair) {
        return live.getOrDefault(pair, -1);
    }

    /** What a live id stands for, or null when it is free or quarantined (its metric series is gone). */
    public Pair pair(int id) {
        Pair p = pairs[id];
        Integer current = p == null ? null : live.get(p);
        return current != null && current == id ? p : null;
    }

    /**
     * Ids for exactly these pairs, index for index (a pair listed twice gets one id): live ones kept, quarantined
     * ones revived, others from the free ids. Changes nothing; throws IllegalStateException when they do not fit.
     * Arrays, not maps: a big config has 100,000 pairs, and this runs on the one thread of an apply.
     */
    public int[] assign(List<Pair> wanted) {
        expire();
        int[] ids = new int[wanted.size()];
        Map<Pair, Integer> fresh = new HashMap<>(); // a new pair -> its index among the new ids
        for (int i = 0; i < ids.length; i++) {
            Pair p = wanted.get(i);
            Integer id = live.get(p);
            if (id == null && !quarantined.isEmpty()) {
                Released r = quarantined.get(p);
                if (r != null) id = r.id();
            }
            if (id != null) {
                ids[i] = id;
            } else {
                Integer known = fresh.putIfAbsent(p, fresh.size());
                ids[i] = -1 - (known != null ? known : fresh.size() - 1); // resolved below
            }
        }
        int available = free.size() + (max - neverUsed);
        if (fresh.size() > available) {
            Set<Integer> revived = new HashSet<>();
            for (int id : ids) if (id >= 0) revived.add(id);
            long waiting = quarantined.values().stream().filter(r -> !revived.contains(r.id())).count();
            long soonest = quarantined.values().stream().mapToLong(Released::until).min().orElse(nanoTime.getAsLong());
            throw new IllegalStateException(String.format(
                    "this config needs %d new server ids but only %d of max_servers (%d) are free; %d more are held "
                            + "for connections to removed servers (the first frees in %d s). Raise max_servers in the "
                            + "gateway config, or apply in smaller steps",
                    fresh.size(), available, max, waiting, Math.max(0, (soonest - nanoTime.getAsLong()) / 1_000_000_000L)));
        }
        int[] freshIds = new int[fresh.size()];
        var freeIds = free.iterator();
        int next = neverUsed;
        for (int k = 0; k < freshIds.length; k++) freshIds[k] = freeIds.hasNext() ? freeIds.next() : next++;
        for (int i = 0; i < ids.length; i++) if (ids[i] < 0) ids[i] = freshIds[-1 - ids[i]];
        return ids;
    }

    /**
     * Makes an assignment live (its state is about to be published): ids not in it are released into quarantine.
     *
     * @param wanted   the pairs given to {@link #assign}
     * @param assigned the ids it answered, index for index
     * @param ticks    per pair, the longest idle timeout its entries can get in the new state
     */
    public void commit(List<Pair> wanted, int[] assigned, int[] ticks) {
        long now = nanoTime.getAsLong();
        Map<Pair, Integer> next = HashMap.newHashMap(assigned.length);
        for (int i = 0; i < assigned.length; i++) next.put(wanted.get(i), assigned[i]);
        for (var e : live.entrySet()) {
            if (!next.containsKey(e.getKey())) {
                long until = now + longestTicks[e.getValue()] * Ticks.NANOS + GRACE_NANOS;
                quarantined.put(e.getKey(), new Released(e.getValue(), until));
            }
        }
        List<Integer> reused = new ArrayList<>();
        for (int i = 0; i < assigned.length; i++) {
            int id = assigned[i];
            Pair p = wanted.get(i);
            if (!quarantined.isEmpty()) quarantined.remove(p);
            if (!p.equals(pairs[id])) {
                if (pairs[id] != null) reused.add(id);
                pairs[id] = p;
                longestTicks[id] = 0;
            }
            longestTicks[id] = Math.max(longestTicks[id], ticks[i]);
            if (id >= neverUsed) neverUsed = id + 1;
        }
        if (!free.isEmpty()) {
            BitSet taken = new BitSet(max);
            for (int id : assigned) taken.set(id);
            free.removeIf(taken::get);
        }
        live = next;
        renamed = reused;
    }

    /** Ids that the last {@link #commit} gave to another pair than before: their counters start again. */
    public List<Integer> reassigned() {
        return renamed;
    }

    /** Moves ids whose quarantine is over to the free list. */
    private void expire() {
        long now = nanoTime.getAsLong();
        var it = quarantined.values().iterator();
        List<Released> over = new ArrayList<>();
        while (it.hasNext()) {
            Released r = it.next();
            if (now - r.until() >= 0) {
                over.add(r);
                it.remove();
            }
        }
        over.sort((a, b) -> Long.compare(a.until(), b.until()));
        for (Released r : over) free.add(r.id());
    }
}
