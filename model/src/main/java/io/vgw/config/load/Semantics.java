package io.vgw.config.load;

import io.vgw.config.HealthCheck;
import io.vgw.config.Ipv4;
import io.vgw.config.LbNode;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Rules a schema cannot express: primes, addresses that can't be used, duplicates within a pool and across files.
 * Each finding names the field to change and, where there is one, the fix.
 */
final class Semantics {
    /** Records that came from a document, so findings can point back into it. */
    record Located<T>(T value, Document doc) {}

    private Semantics() {}

    static void service(Located<ServiceConfig> located, List<Problem> problems) {
        ServiceConfig s = located.value();
        Document doc = located.doc();
        List<RealServer> written = Binder.servers(doc.root());

        usable(doc, "vip", s.vip(), problems);
        Map<Integer, Integer> firstIndex = new HashMap<>();
        boolean anyWeight = false;
        for (int i = 0; i < written.size(); i++) {
            RealServer server = written.get(i);
            String path = "servers[" + i + "]";
            usable(doc, path + ".address", server.address(), problems);
            Integer first = firstIndex.putIfAbsent(server.address(), i);
            if (first != null) {
                problems.add(doc.at(path + ".address", Ipv4.format(server.address()) + " is already servers[" + first
                        + "]; list a server once (in TUN mode the port does not tell two servers apart)"));
            }
            if (server.address() == s.vip()) {
                problems.add(doc.at(path + ".address", "a real server cannot be the VIP itself"));
            }
            anyWeight |= server.weight() > 0;
        }
        if (!written.isEmpty() && !anyWeight) {
            problems.add(doc.at("servers", "every weight is 0, so new flows would have no server; give at least one "
                    + "server a weight above 0 (or remove the service)"));
        }
        tableSize(doc, s, problems);
        health(doc, s, written, problems);
        timeouts(doc, s, problems);
    }

    private static void tableSize(Document doc, ServiceConfig s, List<Problem> problems) {
        int m = s.tableSize();
        String field = doc.root().path("maglev").has("table_size") ? "maglev.table_size" : "servers";
        if (!isPrime(m)) {
            problems.add(doc.at(field, m + " is not prime; Maglev needs a prime table size (nearest: "
                    + previousPrime(m) + " or " + nextPrime(m) + ")"));
        }
        long needed = 100L * s.servers().size();
        if (m < needed) {
            problems.add(doc.at(field, "table size " + m + " is less than 100 x " + s.servers().size()
                    + " servers = " + needed + ", so shares would be uneven; use a prime of at least " + needed
                    + ", e.g. " + nextPrime((int) Math.min(needed, Integer.MAX_VALUE - 1))));
        }
    }

    private static void health(Document doc, ServiceConfig s, List<RealServer> written, List<Problem> problems) {
        HealthCheck h = s.health();
        if (h.type() != HealthCheck.Type.HTTP) {
            for (String httpOnly : new String[] {"path", "expect", "reuse_connection"}) {
                if (doc.root().path("health").has(httpOnly)) {
                    problems.add(doc.at("health." + httpOnly, httpOnly + " applies to http checks only; remove it "
                            + "or set type: http"));
                }
            }
        }
        if (h.type() == HealthCheck.Type.NONE) return;
        if (h.timeout().compareTo(h.interval()) >= 0) {
            problems.add(doc.at("health.timeout", "timeout " + io.vgw.config.Durations.format(h.timeout())
                    + " must be shorter than interval " + io.vgw.config.Durations.format(h.interval())));
        }
        if (h.timeout().isZero() || h.interval().isZero()) {
            problems.add(doc.at("health", "interval and timeout must be above 0"));
        }
        if (s.port() == 0 && h.port() == 0) {
            for (int i = 0; i < written.size(); i++) {
                if (written.get(i).port() == 0) {
                    problems.add(doc.at("servers[" + i + "]", "a port-0 service's " + h.type().name().toLowerCase()
                            + " check needs a port: set health.port, or a port on every server"));
                    return;
                }
            }
        }
    }

    private static void timeouts(Document doc, ServiceConfig s, List<Problem> problems) {
        var t = s.timeouts();
        String[] names = {"tcp", "tcp_fin", "tcp_syn", "udp"};
        java.time.Duration[] values = {t.tcp(), t.tcpFin(), t.tcpSyn(), t.udp()};
        for (int i = 0; i < names.length; i++) {
            if (values[i].toMillis() < 1000 || values[i].toHours() > 24) {
                problems.add(doc.at("timeouts." + names[i], "idle timeouts must be between 1s and 24h"));
            }
        }
    }

    /** Across files: names and endpoints are unique. */
    static void services(List<Located<ServiceConfig>> services, List<Problem> problems) {
        Map<String, Located<ServiceConfig>> byName = new HashMap<>();
        Map<String, Located<ServiceConfig>> byEndpoint = new HashMap<>();
        for (Located<ServiceConfig> l : services) {
            ServiceConfig s = l.value();
            Located<ServiceConfig> sameName = byName.putIfAbsent(s.name(), l);
            if (sameName != null) {
                problems.add(l.doc().at("service", "service '" + s.name() + "' is already defined at "
                        + sameName.doc().where("service") + "; service names must be unique"));
            }
            Located<ServiceConfig> sameEndpoint = byEndpoint.putIfAbsent(s.endpoint(), l);
            if (sameEndpoint != null) {
                problems.add(l.doc().at(l.doc().root().has("port") ? "port" : "vip", s.endpoint()
                        + " is already served by '" + sameEndpoint.value().name() + "' ("
                        + sameEndpoint.doc().where("vip") + "); one service per VIP, port and protocol"));
            }
        }
    }

    static void cluster(Document doc, List<Located<ServiceConfig>> services, List<Problem> problems) {
        Map<String, Integer> names = new HashMap<>();
        Map<Integer, Integer> routerIds = new HashMap<>();
        Map<Integer, Integer> addresses = new HashMap<>();
        List<LbNode> nodes = Binder.nodes(doc.root());
        JsonNode bfdInterval = doc.root().path("ospf").path("bfd_interval");
        if (!bfdInterval.isMissingNode()) {
            long ms = io.vgw.config.Durations.parse(bfdInterval.asString()).toMillis();
            if (ms < 10 || ms > 60_000) problems.add(doc.at("ospf.bfd_interval", "BFD interval must be between 10ms and 60000ms"));
        }
        for (int i = 0; i < nodes.size(); i++) {
            LbNode node = nodes.get(i);
            String path = "nodes[" + i + "]";
            Integer first = names.putIfAbsent(node.name(), i);
            if (first != null) problems.add(doc.at(path + ".name", "node '" + node.name() + "' is already nodes[" + first + "]"));
            int routerId = node.routerId();
            first = routerIds.putIfAbsent(routerId, i);
            if (first != null) {
                problems.add(doc.at(path + ".router_id", "router id " + Ipv4.format(routerId) + " is already nodes["
                        + first + "]'s; OSPF router ids must be unique"));
            }
            int address = node.address();
            usable(doc, path + ".address", address, problems);
            first = addresses.putIfAbsent(address, i);
            if (first != null) {
                problems.add(doc.at(path + ".address", Ipv4.format(address) + " is already nodes[" + first + "]'s"));
            }
            for (Located<ServiceConfig> s : services) {
                if (s.value().vip() == address) {
                    problems.add(doc.at(path + ".address", Ipv4.format(address) + " is the VIP of service '"
                            + s.value().name() + "' (" + s.doc().where("vip") + "); a node needs its own address"));
                }
            }
        }
    }

    private static void usable(Document doc, String path, int address, List<Problem> problems) {
        String reason = Ipv4.unusableReason(address);
        if (reason != null) problems.add(doc.at(path, Ipv4.format(address) + " cannot be used: " + reason));
    }

    static boolean isPrime(int n) {
        if (n < 2) return false;
        if (n % 2 == 0) return n == 2;
        for (int d = 3; (long) d * d <= n; d += 2) if (n % d == 0) return false;
        return true;
    }

    static int nextPrime(int n) {
        int p = n + 1;
        while (!isPrime(p)) p++;
        return p;
    }

    private static int previousPrime(int n) {
        int p = n - 1;
        while (p > 2 && !isPrime(p)) p--;
        return p;
    }
}
