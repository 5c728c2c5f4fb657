package io.vgw.gateway.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vgw.config.Config;
import io.vgw.config.HealthCheck;
import io.vgw.config.Ipv4;
import io.vgw.config.Protocol;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import io.vgw.config.Timeouts;
import io.vgw.health.Health;
import io.vgw.health.State;
import io.vgw.health.Target;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HealthPolicyTest {
    static final int A = Ipv4.parse("203.0.113.11");
    static final int B = Ipv4.parse("203.0.113.12");
    static final int C = Ipv4.parse("203.0.113.13");
    static final HealthCheck HTTP = new HealthCheck(HealthCheck.Type.HTTP, "/healthz", 200, 0, Duration.ofSeconds(1),
            Duration.ofMillis(500), 2, 3, true);
    static final long NOW = 1_000_000;

    static ServiceConfig service(String name, int port, HealthCheck h, RealServer... servers) {
        Duration m = Duration.ofMinutes(1);
        return new ServiceConfig(name, Ipv4.parse("192.0.2.10"), port, Protocol.TCP, 65537, new Timeouts(m, m, m, m), h,
                List.of(servers));
    }

    static Config config(ServiceConfig... services) {
        return new Config(null, List.of(services));
    }

    final Map<Target, Health> health = new HashMap<>();

    void set(ServiceConfig s, int address, State state, long since) {
        RealServer r = s.servers().stream().filter(x -> x.address() == address).findFirst().orElseThrow();
        health.put(HealthPolicy.target(s, r), new Health(state, since, null, 1));
    }

    HealthPolicy.Decision decide(Config c, Set<String> published) {
        return HealthPolicy.decide(c, health::get, published, NOW);
    }

    @Test
    void sharedServerOnTheSamePortIsOneTargetOnAnotherPortTwo() {
        ServiceConfig web = service("web", 80, HTTP, new RealServer(A, 0, 100), new RealServer(B, 0, 100));
        ServiceConfig web2 = service("web2", 80, HTTP, new RealServer(A, 0, 100));
        ServiceConfig api = service("api", 8080, HTTP, new RealServer(A, 0, 100));
        assertEquals(3, HealthPolicy.targets(config(web, web2, api)).size(), "A:80 once, B:80, A:8080");
    }

    @Test
    void downServersAreLeftOutAndUpOnesStay() {
        ServiceConfig web = service("web", 80, HTTP, new RealServer(A, 0, 100), new RealServer(B, 0, 100), new RealServer(C, 0, 0));
        set(web, A, State.UP, 0);
        set(web, B, State.DOWN, 0);
        set(web, C, State.UP, 0);
        var d = decide(config(web), Set.of("web"));
        assertEquals(Map.of("web", Set.of(B)), d.out(), "the drained server C stays: its connections stay");
        assertEquals(Set.of(), d.failOpen());
    }

    @Test
    void everyServerDownFailsOpen() {
        ServiceConfig web = service("web", 80, HTTP, new RealServer(A, 0, 100), new RealServer(B, 0, 100));
        set(web, A, State.DOWN, 0);
        set(web, B, State.DOWN, 0);
        var d = decide(config(web), Set.of("web"));
        assertEquals(Map.of(), d.out());
        assertEquals(Set.of("web"), d.failOpen());
    }

    @Test
    void onlyADrainedServerUpFailsOpenToo() {
        ServiceConfig web = service("web", 80, HTTP, new RealServer(A, 0, 0), new RealServer(B, 0, 100));
        set(web, A, State.UP, 0);
        set(web, B, State.DOWN, 0);
        assertEquals(Set.of("web"), decide(config(web), Set.of("web")).failOpen());
    }

    @Test
    void aNewServiceIsHeldUntilAServerIsUpOrTheHoldEnds() {
        ServiceConfig web = service("web", 80, HTTP, new RealServer(A, 0, 100), new RealServer(B, 0, 100));
        var d = decide(config(web), Set.of());
        assertEquals(Set.of("web"), d.held(), "nothing known yet: not published");
        assertEquals(NOW + 1000 + 50 + 500, d.recheckAt());

        set(web, A, State.UP, NOW);
        d = decide(config(web), Set.of());
        assertEquals(Set.of(), d.held(), "one server up: published");
        assertEquals(Map.of("web", Set.of(B)), d.out(), "B still unknown: left out for now");

        health.clear();
        set(web, A, State.UNKNOWN, NOW - 1550);
        set(web, B, State.UNKNOWN, NOW - 1550);
        d = decide(config(web), Set.of());
        assertEquals(Set.of(), d.held(), "the hold is over: unknown counts as up");
        assertEquals(Map.of(), d.out());
    }

    @Test
    void aPublishedServiceWhoseChecksAllRestartFailsOpenInsteadOfVanishing() {
        ServiceConfig web = service("web", 80, HTTP, new RealServer(A, 0, 100), new RealServer(B, 0, 100));
        var d = decide(config(web), Set.of("web"));
        assertEquals(Set.of(), d.held());
        assertEquals(Set.of("web"), d.failOpen());
    }

    @Test
    void noChecksNoDecision() {
        HealthCheck none = new HealthCheck(HealthCheck.Type.NONE, null, 0, 0, Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, false);
        ServiceConfig s = service("dns", 53, none, new RealServer(A, 0, 100));
        assertEquals(Set.of(), HealthPolicy.targets(config(s)));
        assertEquals(HealthPolicy.Decision.NONE, decide(config(s), Set.of()));
    }
}
