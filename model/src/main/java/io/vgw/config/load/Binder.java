package io.vgw.config.load;

import io.vgw.config.ClusterConfig;
import io.vgw.config.Durations;
import io.vgw.config.HealthCheck;
import io.vgw.config.Ipv4;
import io.vgw.config.LbNode;
import io.vgw.config.Protocol;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import io.vgw.config.Timeouts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/** Schema-valid trees → config records, filling in the documented defaults. */
final class Binder {
    private Binder() {}

    static ServiceConfig service(JsonNode n) {
        return new ServiceConfig(
                n.path("service").asString(),
                Ipv4.parse(n.path("vip").asString()),
                n.path("port").asInt(0),
                Protocol.of(n.path("protocol").asString()),
                n.path("maglev").path("table_size").asInt(ServiceConfig.DEFAULT_TABLE_SIZE),
                timeouts(n.path("timeouts")),
                health(n.path("health")),
                servers(n));
    }

    /** The pool in the order written (ServiceConfig sorts it), so findings can name the index the operator wrote. */
    static List<RealServer> servers(JsonNode service) {
        List<RealServer> servers = new ArrayList<>();
        for (JsonNode s : service.path("servers")) {
            servers.add(new RealServer(Ipv4.parse(s.path("address").asString()), s.path("port").asInt(0),
                    s.path("weight").asInt(RealServer.DEFAULT_WEIGHT)));
        }
        return servers;
    }

    private static Timeouts timeouts(JsonNode n) {
        Timeouts d = Timeouts.LVS;
        return new Timeouts(duration(n.path("tcp"), d.tcp()), duration(n.path("tcp_fin"), d.tcpFin()),
                duration(n.path("tcp_syn"), d.tcpSyn()), duration(n.path("udp"), d.udp()));
    }

    private static HealthCheck health(JsonNode n) {
        HealthCheck.Type type = HealthCheck.Type.valueOf(n.path("type").asString().toUpperCase(Locale.ROOT));
        boolean http = type == HealthCheck.Type.HTTP;
        return new HealthCheck(type,
                http ? n.path("path").asString("/") : null,
                http ? n.path("expect").asInt(200) : 0,
                n.path("port").asInt(0),
                duration(n.path("interval"), HealthCheck.DEFAULT_INTERVAL),
                duration(n.path("timeout"), HealthCheck.DEFAULT_TIMEOUT),
                n.path("rise").asInt(HealthCheck.DEFAULT_RISE),
                n.path("fall").asInt(HealthCheck.DEFAULT_FALL),
                http && n.path("reuse_connection").asBoolean(false));
    }

    static ClusterConfig cluster(JsonNode n) {
        return new ClusterConfig(n.path("cluster").asString(), n.path("ospf").path("area").asString(),
                n.path("ospf").path("bfd").asBoolean(true),
                ClusterConfig.Announce.valueOf(n.path("announce").asString("healthy").toUpperCase(Locale.ROOT)),
                nodes(n), duration(n.path("ospf").path("bfd_interval"), ClusterConfig.DEFAULT_BFD_INTERVAL),
                n.path("ospf").path("bfd_multiplier").asInt(ClusterConfig.DEFAULT_BFD_MULTIPLIER));
    }

    /** The nodes in the order written. */
    static List<LbNode> nodes(JsonNode cluster) {
        List<LbNode> nodes = new ArrayList<>();
        for (JsonNode node : cluster.path("nodes")) {
            nodes.add(new LbNode(node.path("name").asString(), Ipv4.parse(node.path("router_id").asString()),
                    node.path("interface").asString(), Ipv4.parse(node.path("address").asString())));
        }
        return nodes;
    }

    private static Duration duration(JsonNode n, Duration fallback) {
        return n.isMissingNode() ? fallback : Durations.parse(n.asString());
    }
}
