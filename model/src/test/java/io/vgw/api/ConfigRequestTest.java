package io.vgw.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.load.SourceFile;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shared request record: what both sides check, and the streaming read's bounds. */
class ConfigRequestTest {
    static ConfigRequest read(String body) {
        return ConfigRequest.read(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aRequestRoundTripsThroughItsJson() throws Exception {
        ConfigRequest sent = new ConfigRequest("abc123", true, List.of(new SourceFile("cluster.yaml", "cluster: x\n")));
        ConfigRequest read = ConfigRequest.read(new ByteArrayInputStream(ApiJson.MAPPER.writeValueAsBytes(sent)));
        assertEquals(sent, read);
        assertEquals("abc123", read.effectiveRevision());
        ConfigRequest unnamed = read("{\"files\": [{\"text\": \"a\", \"path\": \"a.yaml\"}]}");
        assertNull(unnamed.revision());
        assertTrue(unnamed.effectiveRevision().matches("sha256:[0-9a-f]{12}"));
    }

    @Test
    void revisionsAreShortPrintableAscii() {
        assertNull(ConfigRequest.revisionProblem("0123456789abcdef0123456789abcdef01234567"));
        assertNull(ConfigRequest.revisionProblem("v1.2 (hotfix)"));
        assertEquals("revision has a line break at position 2; use printable ASCII (a Git commit id, a tag, a short name)",
                ConfigRequest.revisionProblem("a\rb"));
        assertEquals("revision has the character U+001B at position 1; use printable ASCII (a Git commit id, a tag, a short name)",
                ConfigRequest.revisionProblem("\u001b[31m"));
        assertTrue(ConfigRequest.revisionProblem("").startsWith("revision is empty"));
        assertTrue(ConfigRequest.revisionProblem("x".repeat(201)).startsWith("revision is 201 characters long"));
        ConfigRequest.Invalid e = assertThrows(ConfigRequest.Invalid.class, () -> new ConfigRequest("a\nb", false, List.of()));
        assertEquals(400, e.status);
    }

    @Test
    void theReadIsBoundedAndSaysWhereItBroke() {
        ConfigRequest.Invalid big = assertThrows(ConfigRequest.Invalid.class,
                () -> read("{\"files\": [{\"path\": \"a.yaml\", \"text\": \"\"}, {\"path\": \"b.yaml\", \"text\": \"" + "x".repeat(3 << 20) + "\"}]}"));
        assertEquals(413, big.status);
        assertEquals("files[1] is over 1024 KiB; split it into several files", big.getMessage());
        ConfigRequest.Invalid deep = assertThrows(ConfigRequest.Invalid.class, () -> read("{\"files\": " + "[".repeat(100)));
        assertEquals(400, deep.status);
        ConfigRequest.Invalid trailing = assertThrows(ConfigRequest.Invalid.class, () -> read("{\"files\": []} {}"));
        assertEquals("more after the JSON object ends: send one object", trailing.getMessage());
        ConfigRequest.Invalid missing = assertThrows(ConfigRequest.Invalid.class, () -> read("{\"revision\": \"r\"}"));
        assertTrue(missing.getMessage().startsWith("'files' is missing: "), missing.getMessage());
    }

    @Test
    void removingEveryServiceOrMoreThanHalfNeedsForce() {
        List<String> live = List.of("a", "b", "c", "d");
        assertNull(RemovalGuard.check(live, Set.of("a", "b")), "half may go");
        assertNull(RemovalGuard.check(live, Set.of("a", "b", "c", "d", "e")));
        assertNull(RemovalGuard.check(List.of(), Set.of()), "nothing live, nothing removed");
        assertTrue(RemovalGuard.check(live, Set.of("a")).startsWith("this config removes more than half of the services (3 of 4: b, c, d)"));
        assertTrue(RemovalGuard.check(List.of("a"), Set.of("b")).startsWith("this config removes every service (1 of 1: a)"));
    }
}
