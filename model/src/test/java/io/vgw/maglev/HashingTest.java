package io.vgw.maglev;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vgw.config.Ipv4;
import org.junit.jupiter.api.Test;

/** Test vectors of the documented flow hash (README), computed independently in Python; the data plane must match. */
class HashingTest {
    static long flow(String src, String dst, int sport, int dport, int proto) {
        return Hashing.flow(Ipv4.parse(src), Ipv4.parse(dst), sport, dport, proto);
    }

    @Test
    void flowHashVectors() {
        assertEquals(0x1c5a5b27b38e1db4L, flow("198.51.100.7", "192.0.2.10", 40000, 80, 6));
        assertEquals(0xc0f3089a86e1499cL, flow("198.51.100.1", "192.0.2.53", 5353, 53, 17));
        assertEquals(0x5e8d54824a987e26L, flow("10.0.0.1", "192.0.2.30", 0, 0, 6));
    }

    @Test
    void slotVectors() {
        assertEquals(7258, Hashing.slot(0x1c5a5b27b38e1db4L, 65537));
        assertEquals(49395, Hashing.slot(0xc0f3089a86e1499cL, 65537));
        assertEquals(65536, Hashing.slot(-1L, 65537), "the top of the hash space maps to the last slot");
        assertEquals(0, Hashing.slot(0L, 65537));
    }
}
