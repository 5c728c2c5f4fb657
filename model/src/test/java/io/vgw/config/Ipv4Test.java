package io.vgw.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class Ipv4Test {
    @Test
    void parsesDottedQuadsAndFormatsThemBack() {
        for (String a : new String[] {"0.0.0.0", "10.0.0.1", "192.0.2.10", "255.255.255.255", "1.22.133.4"}) {
            assertEquals(a, Ipv4.format(Ipv4.parse(a)));
        }
        assertEquals(0xC000020A, Ipv4.parse("192.0.2.10"));
    }

    @Test
    void refusesWhatIsNotADottedQuad() {
        for (String bad : new String[] {"", "1", "1.2.3", "1.2.3.4.", "1.2.3.4.5", ".1.2.3", "1..2.3", "01.2.3.4",
                "1.2.3.04", "1.2.3.1234", "1.2.3.a", "1.2.3.4 ", "-1.2.3.4", "1.2.3.+4"}) {
            assertEquals("'" + bad + "' is not an IPv4 address (a.b.c.d)",
                    assertThrows(IllegalArgumentException.class, () -> Ipv4.parse(bad)).getMessage(), bad);
        }
        assertEquals("'1.2.3.256' is not an IPv4 address: 256 > 255",
                assertThrows(IllegalArgumentException.class, () -> Ipv4.parse("1.2.3.256")).getMessage());
    }
}
