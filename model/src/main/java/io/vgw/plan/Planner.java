package io.vgw.plan;

import io.vgw.config.ClusterConfig;
import io.vgw.config.Config;
import io.vgw.config.Durations;
import io.vgw.config.HealthCheck;
import io.vgw.config.Ipv4;
import io.vgw.config.LbNode;
import io.vgw.config.RealServer;
import io.vgw.config.ServerKey;
import io.vgw.config.ServiceConfig;
import io.vgw.maglev.FlowShift;
import io.vgw.maglev.ServiceTable;
import io.vgw.parallel.Parallel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/** Compares two valid configs. Pure: the same two configs always give the same plan. */
public final class Planner {
    private Planner() {}

    public static Plan plan(Config before, Config after) {
        Map<String, ServiceConfig> old = byName(before);
        Map<String, ServiceConfig> now = byName(after);
        // Each changed service builds its tables: in parallel, in name order.
        List<Plan.ServiceChange> services = Parallel.map(new ArrayList<>(new TreeSet<>(union(old.keySet(), now.keySet()))),
                name -> change(old.get(name), now.get(name))).stream().filter(Objects::nonNull).toList();
        return new Plan(services, cluster(before.cluster(), after.cluster()), announcements(before, after));
    }

    /** The change of one service, or null when it did not change. */
    private static Plan.ServiceChange change(ServiceConfig a, ServiceConfig b) {
        if (a == null) return added(b);
        if (b == null) return removed(a);
        return a.equals(b) ? null : changed(a, b);
    }

    private static Plan.ServiceChange added(ServiceConfig s) {
        ServiceTable table = ServiceTable.of(s);
        List<Plan.ServerChange> servers = new ArrayList<>();
        for (int i = 0; i < s.servers().size(); i++) {
            RealServer r = s.servers().get(i);
            servers.add(new Plan.ServerChange(r.label(), Plan.Action.ADD, null, r.weight(), 0,
                    table.share(i)));
        }
        return new Plan.ServiceChange(s.name(), Plan.Action.ADD, s.endpoint(), fields(null, s), servers, null);
    }

    private static Plan.ServiceChange removed(ServiceConfig s) {
        ServiceTable table = ServiceTable.of(s);
        List<Plan.ServerChange> servers = new ArrayList<>();
        for (int i = 0; i < s.servers().size(); i++) {
            RealServer r = s.servers().get(i);
            servers.add(new Plan.ServerChange(r.label(), Plan.Action.REMOVE, r.weight(), null,
                    table.share(i), 0));
        }
        return new Plan.ServiceChange(s.name(), Plan.Action.REMOVE, s.endpoint(), List.of(), servers,
                new Plan.FlowMove(1.0, 1.0, s.tableSize(), 0));
    }

    private static Plan.ServiceChange changed(ServiceConfig a, ServiceConfig b) {
        ServiceTable before = ServiceTable.of(a);
        ServiceTable after = ServiceTable.of(b);
        Map<ServerKey, Integer> indexBefore = indexByKey(before);
        Map<ServerKey, Integer> indexAfter = indexByKey(after);
        TreeSet<ServerKey> keys = new TreeSet<>(union(indexBefore.keySet(), indexAfter.keySet()));
        List<Plan.ServerChange> servers = new ArrayList<>();
        double lost = 0;
        for (ServerKey id : keys) {
            Integer i = indexBefore.get(id);
            Integer j = indexAfter.get(id);
            RealServer was = i == null ? null : a.servers().get(i);
            RealServer is = j == null ? null : b.servers().get(j);
            double shareBefore = i == null ? 0 : before.share(i);
            double shareAfter = j == null ? 0 : after.share(j);
            lost += Math.max(0, shareBefore - shareAfter);
            Plan.Action action = was == null ? Plan.Action.ADD : is == null ? Plan.Action.REMOVE : Plan.Action.CHANGE;
            boolean reweighted = was != null && is != null && was.weight() != is.weight();
            if (action != Plan.Action.CHANGE || reweighted || shareBefore != shareAfter) {
                servers.add(new Plan.ServerChange((is != null ? is : was).label(), action,
                        was == null ? null : was.weight(), is == null ? null : is.weight(), shareBefore, shareAfter));
            }
        }
        var flows = new Plan.FlowMove(FlowShift.movedShare(before, after), lost, a.tableSize(), b.tableSize());
        return new Plan.ServiceChange(b.name(), Plan.Action.CHANGE, b.endpoint(), fields(a, b), servers, flows);
    }

    /** Servers by their identity (address and effective port), so one re-listed with its default port is unchanged. */
    private static Map<ServerKey, Integer> indexByKey(ServiceTable t) {
        Map<ServerKey, Integer> index = new TreeMap<>();
        for (int i = 0; i < t.keys().size(); i++) index.put(t.keys().get(i), i);
        return index;
    }

    /** Every service field except the pool, flattened to YAML names. */
    private static List<Plan.FieldChange> fields(ServiceConfig a, ServiceConfig b) {
        Map<String, Function<ServiceConfig, Object>> fields = new LinkedHashMap<>();
        fields.put("vip", s -> Ipv4.format(s.vip()));
        fields.put("port", ServiceConfig::port);
        fields.put("protocol", s -> s.protocol().label());
        fields.put("maglev.table_size", ServiceConfig::tableSize);
        fields.put("timeouts.tcp", s -> Durations.format(s.timeouts().tcp()));
        fields.put("timeouts.tcp_fin", s -> Durations.format(s.timeouts().tcpFin()));
        fields.put("timeouts.tcp_syn", s -> Durations.format(s.timeouts().tcpSyn()));
        fields.put("timeouts.udp", s -> Durations.format(s.timeouts().udp()));
        fields.put("health.type", s -> s.health().type().name().toLowerCase(Locale.ROOT));
        fields.put("health.path", s -> s.health().path());
        fields.put("health.expect", s -> s.health().type() == HealthCheck.Type.HTTP ? s.health().expect() : null);
        fields.put("health.port", s -> s.health().port() == 0 ? null : s.health().port());
        fields.put("health.interval", s -> Durations.format(s.health().interval()));
        fields.put("health.timeout", s -> Durations.format(s.health().timeout()));
        fields.put("health.rise", s -> s.health().rise());
        fields.put("health.fall", s -> s.health().fall());
        fields.put("health.reuse_connection", s -> s.health().type() == HealthCheck.Type.HTTP ? s.health().reuseConnection() : null);
        List<Plan.FieldChange> changes = new ArrayList<>();
        fields.forEach((name, get) -> {
            String was = a == null ? null : text(get.apply(a));
            String is = text(get.apply(b));
            if (!Objects.equals(was, is)) changes.add(new Plan.FieldChange(name, was, is));
        });
        return changes;
    }

    private static List<Plan.FieldChange> cluster(ClusterConfig a, ClusterConfig b) {
        List<Plan.FieldChange> changes = new ArrayList<>();
        compare(changes, "cluster", a.name(), b.name());
        compare(changes, "ospf.area", a.ospfArea(), b.ospfArea());
        compare(changes, "ospf.bfd", a.bfd(), b.bfd());
        compare(changes, "announce", a.announce().name().toLowerCase(Locale.ROOT),
                b.announce().name().toLowerCase(Locale.ROOT));
        Map<String, LbNode> old = new TreeMap<>();
        a.nodes().forEach(n -> old.put(n.name(), n));
        Map<String, LbNode> now = new TreeMap<>();
        b.nodes().forEach(n -> now.put(n.name(), n));
        for (String name : new TreeSet<>(union(old.keySet(), now.keySet()))) {
            LbNode x = old.get(name);
            LbNode y = now.get(name);
            String prefix = "nodes." + name;
            if (x == null || y == null) {
                compare(changes, prefix, x == null ? null : describe(x), y == null ? null : describe(y));
                continue;
            }
            compare(changes, prefix + ".router_id", Ipv4.format(x.routerId()), Ipv4.format(y.routerId()));
            compare(changes, prefix + ".interface", x.iface(), y.iface());
            compare(changes, prefix + ".address", Ipv4.format(x.address()), Ipv4.format(y.address()));
        }
        return changes;
    }

    private static String describe(LbNode n) {
        return "router_id " + Ipv4.format(n.routerId()) + ", interface " + n.iface() + ", address "
                + Ipv4.format(n.address());
    }

    private static List<Plan.Announcement> announcements(Config before, Config after) {
        TreeSet<Long> old = vips(before);
        TreeSet<Long> now = vips(after);
        List<Plan.Announcement> changes = new ArrayList<>();
        for (long vip : new TreeSet<>(union(old, now))) {
            if (!old.contains(vip)) changes.add(new Plan.Announcement(Ipv4.format((int) vip) + "/32", Plan.Action.ADD));
            if (!now.contains(vip)) changes.add(new Plan.Announcement(Ipv4.format((int) vip) + "/32", Plan.Action.REMOVE));
        }
        return changes;
    }

    private static TreeSet<Long> vips(Config c) {
        TreeSet<Long> vips = new TreeSet<>();
        c.services().forEach(s -> vips.add(s.vip() & 0xffffffffL));
        return vips;
    }

    private static void compare(List<Plan.FieldChange> changes, String field, Object a, Object b) {
        if (!Objects.equals(a, b)) changes.add(new Plan.FieldChange(field, text(a), text(b)));
    }

    private static String text(Object o) {
        return o == null ? null : o.toString();
    }

    private static Map<String, ServiceConfig> byName(Config c) {
        Map<String, ServiceConfig> map = new TreeMap<>();
        c.services().forEach(s -> map.put(s.name(), s));
        return map;
    }

    private static <T> java.util.Set<T> union(java.util.Set<T> a, java.util.Set<T> b) {
        java.util.Set<T> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return all;
    }
}
