package io.vgw.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

class ListenTest {
    @Test
    void readsIpv4AndBracketedIpv6() {
        InetSocketAddress v4 = Listen.parse("127.0.0.1:9100");
        assertEquals("127.0.0.1", v4.getAddress().getHostAddress());
        assertEquals(9100, v4.getPort());
        InetSocketAddress v6 = Listen.parse("[::1]:9180");
        assertTrue(v6.getAddress() instanceof Inet6Address);
        assertEquals("[0:0:0:0:0:0:0:1]:9180", Listen.format(v6));
        assertEquals("127.0.0.1:0", Listen.format(Listen.parse("127.0.0.1:0")));
    }

    @Test
    void refusesWhatTheSchemaRefusesWithTheFormToUse() {
        for (String bad : new String[] {"localhost:9100", "127.0.0.1", "::1:9100", "[::1]", "127.0.0.1:123456", "[fe80::2%a b]:1"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Listen.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad) && e.getMessage().contains("ADDRESS:PORT"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Listen.parse("127.0.0.1:70000"));
        assertTrue(e.getMessage().contains("above 65535"), e.getMessage());
    }

    /** The schemas spell the pattern out (JSON cannot refer to Java): both must stay the grammar parse() reads. */
    @ParameterizedTest
    @ValueSource(strings = {"gateway.schema.json", "reconcile.schema.json"})
    void theSchemasCheckTheSameGrammar(String schema) throws IOException {
        String text;
        try (InputStream in = ListenTest.class.getResourceAsStream("/schemas/" + schema)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(text.contains("\"pattern\": " + JsonMapper.shared().writeValueAsString("^" + Listen.PATTERN + "$")), schema);
    }
}
