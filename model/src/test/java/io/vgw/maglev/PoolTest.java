package io.vgw.maglev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.ServerKey;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PoolTest {
    /** As bench/bigconfig writes them: 10,000 pools of 10 consecutive addresses on one port. */
    private static Pool pool(int service) {
        long[] identities = new long[10];
        for (int r = 0; r < 10; r++) identities[r] = new ServerKey(0x0a000001 + service * 10 + r, 443).identity();
        int[] weights = new int[10];
        Arrays.fill(weights, 100);
        return new Pool(identities, weights, 65537);
    }

    @Test
    void poolsOfConsecutiveAddressesSpreadOverAMapsBuckets() {
        Set<Integer> buckets = new HashSet<>();
        for (int s = 0; s < 10_000; s++) {
            int h = pool(s).hashCode();
            buckets.add((h ^ h >>> 16) & 16383); // HashMap's bucket at 10,000 entries
        }
        // random hashes fill about 7,500 of the 16,384; the array hash of the identities filled 513
        assertTrue(buckets.size() > 7_000, buckets.size() + " buckets");
    }

    @Test
    void equalPoolsAreEqualWithEqualHashes() {
        assertEquals(pool(7), pool(7));
        assertEquals(pool(7).hashCode(), pool(7).hashCode());
        assertNotEquals(pool(7), pool(8));
        int[] lighter = pool(7).weights().clone();
        lighter[0] = 50;
        assertNotEquals(pool(7), new Pool(pool(7).identities(), lighter, 65537));
    }
}
