package io.vgw.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {
    @Test
    void handsOutEveryPortOfTheRangeInTurnThenStartsOver() {
        ProbeSocket.Ports ports = new ProbeSocket.Ports(40000, 40002);
        Set<Integer> seen = new HashSet<>();
        int first = ports.next();
        seen.add(first);
        seen.add(ports.next());
        seen.add(ports.next());
        assertEquals(Set.of(40000, 40001, 40002), seen);
        assertEquals(first, ports.next(), "after the range's end, its start");
    }
}
