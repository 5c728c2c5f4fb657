package io.vgw.frr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Config;
import io.vgw.config.load.ConfigLoader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrrConfigsTest {
    static final Path EXAMPLES = Path.of("..", "examples");

    static Config examples() {
        ConfigLoader.Result r = ConfigLoader.load(EXAMPLES);
        assertTrue(r.ok(), r.problems().toString());
        return r.config();
    }

    @Test
    void nodeConfigCarriesTheClustersValuesAndAdmitsOnlyTheVips() {
        String conf = FrrConfigs.node(examples(), "lb2", "host1", "vgw0");
        assertTrue(conf.contains("\nhostname host1\n"), conf);
        assertTrue(conf.contains("\ninterface eth0\n ip ospf area 0.0.0.0\n ip ospf bfd\n ip ospf bfd profile vgw\n"), conf);
        assertTrue(conf.contains("\n ospf router-id 10.255.0.2\n"), conf);
        assertTrue(conf.contains("\n timers throttle spf 0 50 200\n timers throttle lsa all 0\n timers lsa min-arrival 0\n"), conf);
        // OSPF on the gateway's device for the config's VIPs alone, passive; nothing redistributed
        assertTrue(conf.contains("\ninterface vgw0\n ip ospf area 0.0.0.0 192.0.2.10\n ip ospf area 0.0.0.0 192.0.2.20\n"
                + " ip ospf area 0.0.0.0 192.0.2.30\n ip ospf passive\nexit\n"), conf);
        assertFalse(conf.contains("redistribute"), conf);
        assertTrue(conf.contains("  transmit-interval 100\n  receive-interval 100\n"), conf);
        assertFalse(conf.contains("detect-multiplier"), "FRR's default is left out, as FRR leaves it out");
        assertFalse(conf.contains("{{"), conf);
    }

    @Test
    void withoutBfdThereIsNoBfdSection() {
        Config c = examples();
        var cluster = c.cluster();
        Config noBfd = new Config(new io.vgw.config.ClusterConfig(cluster.name(), cluster.ospfArea(), false, cluster.announce(),
                cluster.nodes(), cluster.bfdInterval(), 5), c.services());
        String conf = FrrConfigs.node(noBfd, "lb1", "h", "vgw0");
        assertFalse(conf.contains("ip ospf bfd") || conf.contains("\nbfd\n"), conf);
    }

    @Test
    void anUnknownNodeIsNamedWithTheNodesThereAre() {
        var e = assertThrows(IllegalArgumentException.class, () -> FrrConfigs.node(examples(), "lb9", "h", "vgw0"));
        assertEquals("cluster lab has no node 'lb9'; its nodes: [lb1, lb2]", e.getMessage());
    }

    @Test
    void routerConfigHasAPointToPointInterfacePerLink() {
        String conf = FrrConfigs.router(examples().cluster(), io.vgw.config.Ipv4.parse("10.255.255.1"), List.of("l1", "l2"), "h");
        assertTrue(conf.contains("no zebra nexthop kernel enable"), conf);
        assertEquals(2, conf.lines().filter(l -> l.equals(" ip ospf network point-to-point")).count());
        assertTrue(conf.contains("interface l2\n"), conf);
    }
}
