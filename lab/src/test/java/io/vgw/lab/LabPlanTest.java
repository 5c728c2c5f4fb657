package io.vgw.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Config;
import io.vgw.config.Ipv4;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabPlanTest {
    static Config config(String cluster, String service) {
        var r = ConfigLoader.load("t", List.of(new SourceFile("c.yaml", cluster), new SourceFile("s.yaml", service)));
        assertTrue(r.ok(), r.problems()::toString);
        return r.config();
    }

    @Test
    void examplesGiveTwoNodesAndThreeServers() {
        LabPlan plan = LabPlan.of("vgwlab", ConfigLoader.load(Path.of("../examples")).config());
        assertEquals(List.of("vgwlab-client", "vgwlab-router", "vgwlab-lb1", "vgwlab-lb2", "vgwlab-rs11", "vgwlab-rs12",
                "vgwlab-rs13"), plan.namespaces());
        LabPlan.Node lb2 = plan.nodes().get(1);
        assertEquals("100.64.2.1", Ipv4.format(lb2.router()));
        assertEquals("l2", lb2.routerIface());
        assertEquals("eth0", lb2.iface());
        assertEquals("203.0.113.1", Ipv4.format(plan.serverGateway()));
        assertEquals(List.of("192.0.2.10", "192.0.2.20", "192.0.2.30"), plan.vips().stream().map(Ipv4::format).toList());
        assertEquals("vgwlab-m2", plan.managementLink(lb2));
        assertEquals("fe80::2%vgwlab-m2", plan.managementAddress(lb2));
    }

    @Test
    void countsComeFromTheConfig() {
        StringBuilder nodes = new StringBuilder("cluster: four\nospf: {area: 0.0.0.0}\nnodes:\n");
        for (int i = 1; i <= 4; i++) {
            nodes.append("  - {name: lb").append(i).append(", router_id: 10.255.0.").append(i)
                    .append(", interface: eth0, address: 100.64.").append(i).append(".2}\n");
        }
        String service = "service: s\nvip: 192.0.2.1\nport: 80\nprotocol: tcp\nhealth: {type: none}\nservers:\n"
                + "  - {address: 203.0.113.20}\n  - {address: 203.0.113.21}\n";
        LabPlan plan = LabPlan.of("p", config(nodes.toString(), service));
        assertEquals(4, plan.nodes().size());
        assertEquals(2, plan.servers().size());
    }

    @Test
    void refusesWhatTheLabCannotBuild() {
        String cluster = "cluster: c\nospf: {area: 0.0.0.0}\nnodes:\n"
                + "  - {name: lb1, router_id: 10.255.0.1, interface: eth0, address: 100.64.1.2}\n";
        String split = "service: s\nvip: 192.0.2.1\nport: 80\nprotocol: tcp\nhealth: {type: none}\nservers:\n"
                + "  - {address: 203.0.113.20}\n  - {address: 198.18.0.5}\n";
        var e = assertThrows(LabException.class, () -> LabPlan.of("p", config(cluster, split)));
        assertEquals("real servers 198.18.0.5 and 203.0.113.20 are in different /24s; the lab puts all real servers "
                + "on one segment", e.getMessage());
        String good = split.replace("198.18.0.5", "203.0.113.21");
        assertThrows(LabException.class, () -> LabPlan.of("Bad-Prefix", config(cluster, good)));
        StringBuilder ten = new StringBuilder("cluster: c\nospf: {area: 0.0.0.0}\nnodes:\n");
        for (int i = 1; i <= 10; i++) {
            ten.append("  - {name: lb").append(i).append(", router_id: 10.255.0.").append(i)
                    .append(", interface: eth0, address: 100.64.").append(i).append(".2}\n");
        }
        e = assertThrows(LabException.class, () -> LabPlan.of("twelvelettrs", config(ten.toString(), good)));
        assertTrue(e.getMessage().contains("twelvelettrs-m10 is over 15 characters"), e.getMessage());
        LabPlan eleven = LabPlan.of("elevenlettr", config(ten.toString(), good));
        assertEquals("elevenlettr-m10", eleven.managementLink(eleven.nodes().get(9)));
    }
}
