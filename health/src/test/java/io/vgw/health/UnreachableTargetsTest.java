package io.vgw.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vgw.config.Ipv4;
import io.vgw.lab.Netns;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Targets no packet can reach, probed from a namespace of the test's own (root; CI runs as root), so nothing is ever
 * sent to a real network: one address with no route at all, one on a link where nobody answers ARP (the SYN is
 * never even sent, as for a host that is gone).
 */
class UnreachableTargetsTest {
    static final String NS = "vgwh" + Long.toHexString(ProcessHandle.current().pid());
    static final Check CHECK = Check.tcp(Duration.ofMillis(500), Duration.ofMillis(300), 1, 1);

    @BeforeAll
    static void namespace() {
        assertEquals("root", System.getProperty("user.name"),
                "this test creates a network namespace and needs root (CI runs as root): run the tests with sudo");
        Netns.run("ip", "netns", "add", NS);
        Netns.run("ip", "-n", NS, "link", "set", "lo", "up");
        Netns.run("ip", "-n", NS, "link", "add", "name", "va", "type", "veth", "peer", "name", "vb");
        Netns.run("ip", "-n", NS, "addr", "add", "198.51.100.1/24", "dev", "va");
        Netns.run("ip", "-n", NS, "link", "set", "va", "up");
        Netns.run("ip", "-n", NS, "link", "set", "vb", "up");
    }

    @AfterAll
    static void remove() {
        Netns.tryRun("ip", "netns", "del", NS);
        assertEquals(List.of(), Netns.list().stream().filter(NS::equals).toList(), "namespace left behind");
    }

    @Test
    void noRouteAndNoAnswerEachSayWhy() throws Exception {
        Recorder recorder = new Recorder();
        Target noRoute = new Target(Ipv4.parse("192.0.2.1"), 80, CHECK);
        Target silent = new Target(Ipv4.parse("198.51.100.2"), 80, CHECK);
        try (HealthChecker checker = new HealthChecker(HealthChecker.Options.DEFAULTS.withSetup(() -> Netns.enter(NS)), recorder)) {
            checker.setTargets(List.of(noRoute, silent));
            Map<Target, Result> first = new HashMap<>();
            while (first.size() < 2) {
                Recorder.Probed p = recorder.probes.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                if (p == null) break;
                first.putIfAbsent(p.target(), p.result());
            }
            Result unroutable = first.get(noRoute);
            assertEquals(Code.L4CON, unroutable.code(), unroutable.toString());
            assertEquals("network is unreachable", unroutable.reason());
            Result timeout = first.get(silent);
            assertEquals(Code.L4TOUT, timeout.code(), timeout.toString());
            assertEquals("timeout after 300 ms (no connection)", timeout.reason());
            assertEquals(State.DOWN, checker.health(noRoute).state());
            assertEquals(State.DOWN, checker.health(silent).state());
        }
    }
}
