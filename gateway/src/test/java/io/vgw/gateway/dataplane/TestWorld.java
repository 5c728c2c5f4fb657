package io.vgw.gateway.dataplane;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Config;
import io.vgw.config.Ipv4;
import io.vgw.config.LbNode;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import io.vgw.config.load.ConfigLoader;
import io.vgw.gateway.state.ServerIds;
import io.vgw.gateway.state.StateBuilder;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The fixed world of the data-plane tests (the same one {@code src/test/fixtures/make_fixtures.py} describes): the
 * config in {@code src/test/resources/fixtures/config/}, plus what is not config — the port's MAC and MTU and the
 * next hop towards every real server.
 */
final class TestWorld {
    static final long PORT_MAC = 0x02_00_00_00_01_02L;
    static final long ROUTER_MAC = 0x02_00_00_00_00_01L;
    static final long NEXT_HOP_MAC = 0x02_00_00_00_00_feL;
    static final int MTU = 1500;
    static final int MAX_SERVER_IDS = 256;
    static final int CONNS = 1 << 16;
    static final int NOW = 1_000;

    static final int LB = Ipv4.parse("100.64.1.2");
    static final int CLIENT = Ipv4.parse("198.51.100.7");
    static final int WEB = Ipv4.parse("192.0.2.10");
    static final int DNS = Ipv4.parse("192.0.2.53");
    static final int ANY = Ipv4.parse("192.0.2.30");
    static final int POOL = Ipv4.parse("192.0.2.40");

    private TestWorld() {}

    static Path configDir() {
        try {
            return Path.of(TestWorld.class.getResource("/fixtures/config").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Config config() {
        ConfigLoader.Result result = ConfigLoader.load(configDir());
        assertTrue(result.ok(), () -> "the fixture world's config is invalid: " + result.problems());
        return result.config();
    }

    /** The node's own address from the config (lb1). */
    static int localAddress(Config config) {
        return config.cluster().nodes().stream().filter(n -> n.name().equals("lb1")).findFirst()
                .map(LbNode::address).orElseThrow();
    }

    static ServiceConfig service(Config config, String name) {
        return config.service(name).orElseThrow(() -> new AssertionError("no service " + name));
    }

    /** A copy of the config with one service's pool replaced. */
    static Config withServers(Config config, String name, List<RealServer> servers) {
        return withService(config, name, s -> new ServiceConfig(s.name(), s.vip(), s.port(), s.protocol(),
                s.tableSize(), s.timeouts(), s.health(), servers));
    }

    static Config withService(Config config, String name, UnaryOperator<ServiceConfig> change) {
        List<ServiceConfig> services = new ArrayList<>();
        for (ServiceConfig s : config.services()) services.add(s.name().equals(name) ? change.apply(s) : s);
        return new Config(config.cluster(), services);
    }

    static ForwardingState state(Config config) {
        return new StateBuilder(new ServerIds(MAX_SERVER_IDS), Long.MAX_VALUE).build(config, Map.of(), a -> NEXT_HOP_MAC);
    }

    static ForwardingState state(StateBuilder builder, Config config, Map<String, Set<Integer>> down) {
        return builder.build(config, down, a -> NEXT_HOP_MAC);
    }

    static Pipeline pipeline(Config config, ConnTable conns) {
        return new Pipeline(conns, localAddress(config), PORT_MAC, MTU, MAX_SERVER_IDS);
    }
}
