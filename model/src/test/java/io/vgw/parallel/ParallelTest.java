package io.vgw.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void mapsEveryItemOnceInOrder() {
        List<Integer> items = IntStream.range(0, 10_000).boxed().toList();
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        List<String> out = Parallel.map(items, i -> {
            if (!seen.add(i)) throw new AssertionError("mapped twice: " + i);
            return "#" + i;
        });
        assertEquals(IntStream.range(0, 10_000).mapToObj(i -> "#" + i).toList(), out);
        assertEquals(List.of(), Parallel.map(List.of(), i -> i));
    }

    @Test
    void rethrowsWhatTheFunctionThrows() {
        List<Integer> items = IntStream.range(0, 1_000).boxed().toList();
        var e = assertThrows(IllegalArgumentException.class, () -> Parallel.map(items, i -> {
            if (i == 500) throw new IllegalArgumentException("item 500");
            return i;
        }));
        assertEquals("item 500", e.getMessage());
        assertThrows(OutOfMemoryError.class, () -> Parallel.map(items, i -> {
            if (i == 7) throw new OutOfMemoryError("table 7");
            return i;
        }));
    }

    @Test
    void theCallerRunsItsOwnWorkMeanwhileAndAFailureThereStopsTheMapping() {
        List<Integer> items = IntStream.range(0, 1_000).boxed().toList();
        Thread caller = Thread.currentThread();
        Thread[] ranOn = new Thread[1];
        assertEquals(items, Parallel.map(items, i -> i, () -> ranOn[0] = Thread.currentThread()));
        assertEquals(caller, ranOn[0]);
        java.util.concurrent.atomic.AtomicInteger mapped = new java.util.concurrent.atomic.AtomicInteger();
        var e = assertThrows(IllegalStateException.class, () -> Parallel.map(items, i -> mapped.incrementAndGet(), () -> {
            throw new IllegalStateException("no ids left");
        }));
        assertEquals("no ids left", e.getMessage());
        assertEquals(List.of(0, 1), Parallel.map(List.of(0, 1), i -> i, () -> { }));
    }
}
