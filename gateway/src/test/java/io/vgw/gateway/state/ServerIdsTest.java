package io.vgw.gateway.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.ServerKey;
import io.vgw.gateway.dataplane.Ticks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ServerIdsTest {
    /** 15 minutes, the default TCP idle timeout, in ticks. */
    static final int TCP_TICKS = Ticks.of(java.time.Duration.ofMinutes(15));

    final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    final ServerIds ids = new ServerIds(8, clock::get);

    static List<ServerIds.Pair> pool(String service, int servers) {
        List<ServerIds.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < servers; i++) pairs.add(new ServerIds.Pair(service, new ServerKey(0xcb007100 + i, 80)));
        return pairs;
    }

    Map<ServerIds.Pair, Integer> apply(List<ServerIds.Pair> pairs) {
        int[] assigned = ids.assign(pairs);
        int[] ticks = new int[assigned.length];
        java.util.Arrays.fill(ticks, TCP_TICKS);
        ids.commit(pairs, assigned, ticks);
        Map<ServerIds.Pair, Integer> byPair = new java.util.HashMap<>();
        for (int i = 0; i < assigned.length; i++) byPair.put(pairs.get(i), assigned[i]);
        return byPair;
    }

    @Test
    void anAssignmentThatIsNotCommittedTakesNoIdAndNoSeries() {
        apply(pool("web", 3));
        int[] proposed = ids.assign(pool("api", 5)); // built, then refused or failed
        for (int id : proposed) assertNull(ids.pair(id), "no live server (no metric series) for id " + id);
        for (ServerIds.Pair p : pool("api", 5)) assertEquals(-1, ids.id(p));
        // The 5 ids it would have taken are still there for the next config.
        assertEquals(Set.of(java.util.Arrays.stream(proposed).boxed().toArray()), Set.copyOf(apply(pool("api", 5)).values()));
    }

    @Test
    void aRenameUndoneGetsItsIdsBackAtOnce() {
        Map<ServerIds.Pair, Integer> first = apply(pool("web", 4));
        apply(pool("web2", 4));                       // renamed: web's ids are quarantined, 4 fresh ones used
        Map<ServerIds.Pair, Integer> back = apply(pool("web", 4)); // renamed back: same ids, same counters
        assertEquals(first, back);
        assertEquals(List.of(), ids.reassigned());
    }

    @Test
    void releasedIdsServeAnotherServerOnlyAfterTheLongestIdleTimeout() {
        Map<ServerIds.Pair, Integer> web = apply(pool("web", 6));
        apply(pool("web", 2));                         // 4 servers removed: their ids quarantined; 2 never used
        var ex = assertThrows(IllegalStateException.class, () -> apply(pool("api", 5)));
        assertTrue(ex.getMessage().contains("needs 5 new server ids but only 2 of max_servers (8) are free; 4 more are held"),
                ex.getMessage());
        assertTrue(ex.getMessage().contains("the first frees in 901 s"), ex.getMessage());
        assertEquals(web.get(pool("web", 6).get(1)), ids.id(pool("web", 6).get(1)), "refusing changed nothing");

        clock.addAndGet(TCP_TICKS * Ticks.NANOS); // entries naming them may still live for the grace period
        assertThrows(IllegalStateException.class, () -> apply(pool("api", 5)));
        clock.addAndGet(ServerIds.GRACE_NANOS);
        Map<ServerIds.Pair, Integer> api = apply(pool("api", 5));
        Set<Integer> released = Set.of(web.get(pool("web", 6).get(2)), web.get(pool("web", 6).get(3)),
                web.get(pool("web", 6).get(4)), web.get(pool("web", 6).get(5)));
        List<Integer> reused = api.values().stream().filter(released::contains).sorted().toList();
        assertEquals(4, reused.size(), "the four quarantined ids are free again: " + api);
        assertEquals(reused, ids.reassigned().stream().sorted().toList(), "their counters start again");
        for (int id : reused) assertNotEquals("web", ids.pair(id).service());
    }
}
