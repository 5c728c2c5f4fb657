package io.vgw.maglev;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FootprintTest {
    @Test
    void formatsAsPrintfWouldToOneDecimal() {
        assertEquals("0.0 MiB", Footprint.format(0));
        assertEquals("0.3 MiB", Footprint.format(262_144)); // exactly 0.25: half up
        assertEquals("655.4 MiB", Footprint.format(687_234_662L));
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            long bytes = random.nextLong(1L << (1 + random.nextInt(40)));
            assertEquals(String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0)), Footprint.format(bytes),
                    "bytes " + bytes);
        }
    }
}
