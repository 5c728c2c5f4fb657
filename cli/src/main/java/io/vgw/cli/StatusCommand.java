package io.vgw.cli;

import io.vgw.api.ApiJson;
import io.vgw.api.Status;
import io.vgw.reconciler.apply.ControlClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show a running gateway: the live config's revision (compare it across nodes) and generation, each service's servers "
                + "(weight, health: unchecked without checks, else unknown, up or down, since when (UTC); share of new flows, "
                + "next hop, packets and bytes sent; the last health check's result code, duration and reason), connection entries, "
                + "and the data plane counters that are not zero, drops apart.",
        footer = {"", "Without --socket: the only socket in /run/vgw (gateways default to /run/vgw/<gateway>.sock).",
                "--output json prints the gateway's status document as GET /v1/status returns it (snake_case), with "
                        + "GET /v1/announce's document under \"announce\" when the gateway announces (VIPs announced or "
                        + "why not, OSPF neighbours, BFD sessions).",
                "Exit codes: 0 ok, 1 no gateway to talk to, 64 bad usage.", "",
                "Examples:",
                "  vgw status",
                "  vgw status --socket /run/vgw/lb1.sock",
                "  vgw status --output json | jq '.counters | with_entries(select(.key | startswith(\"drop_\")))'",
                "  curl --unix-socket /run/vgw/lb1.sock http://vgw/v1/status"})
final class StatusCommand implements Callable<Integer> {
    @Mixin
    SocketOption socket;

    @Mixin
    Output output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Status status;
        JsonNode announce;
        try (ControlClient client = new ControlClient(socket.resolve())) {
            status = client.status();
            announce = client.announcements().orElse(null);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            ObjectNode doc = ApiJson.MAPPER.valueToTree(status);
            if (announce != null) doc.set("announce", announce);
            out.print(ApiJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(doc) + "\n");
        } else {
            out.print(render(status, output.colour()));
            if (announce != null) out.print(announce(announce, output.colour()));
        }
        out.flush();
        return 0;
    }

    /** The status for people: the revision first, since it is what tells whether nodes run the same config. */
    static String render(Status s, boolean colour) {
        StringBuilder b = new StringBuilder();
        b.append("gateway ").append(s.node()).append(" (").append(s.address()).append(")  ");
        if (s.generation() == 0) b.append(paint(colour, "33", "no config yet")).append(" (vgw apply DIR sends one)");
        else b.append("revision ").append(s.revision()).append(" (generation ").append(s.generation()).append(")");
        b.append(", up ").append(duration(s.uptimeSeconds())).append('\n');
        b.append("port ").append(s.device());
        if (s.portKind() != null && !s.portKind().equals("device")) b.append(" (").append(s.portKind()).append(')');
        b.append(", mac ").append(s.mac())
                .append(", ").append(s.workers()).append(s.workers() == 1 ? " worker" : " workers").append('\n');
        if (s.portFallback() != null) b.append(paint(colour, "33", "port fell back to af_packet: " + s.portFallback())).append('\n');
        b.append(String.format(Locale.ROOT, "connections %,d of %,d (%.1f%%)%n", s.connections(), s.connectionCapacity(),
                s.connectionCapacity() == 0 ? 0.0 : 100.0 * s.connections() / s.connectionCapacity()));
        for (Status.Task t : s.tasks()) {
            if (t.failures() == 0) continue;
            b.append(paint(colour, "31", String.format(Locale.ROOT, "task %s: %,d of %,d runs failed, last: %s",
                    t.name(), t.failures(), t.runs(), t.lastError()))).append('\n');
        }

        for (Status.Service service : s.services()) {
            b.append('\n').append("service ").append(service.name()).append("  ").append(service.endpoint());
            if (service.held()) b.append(paint(colour, "33", "  held: first health probes still running"));
            if (service.failOpen()) b.append(paint(colour, "31", "  FAIL OPEN: no server is up, every server gets new flows"));
            b.append('\n');
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"SERVER", "WEIGHT", "HEALTH", "SINCE", "SHARE", "NEXT HOP", "PACKETS", "BYTES", "LAST CHECK"});
            for (Status.Server server : service.servers()) {
                Status.Check check = server.check();
                String since = check == null || check.since() == null ? "" : check.since();
                rows.add(new String[] {
                        server.address(),
                        Integer.toString(server.weight()),
                        server.health().json(),
                        since.length() >= 19 ? since.substring(11, 19) : "-",
                        String.format(Locale.ROOT, "%.1f%%", 100 * server.share()),
                        server.nextHop() != null ? server.nextHop() : "unresolved",
                        String.format(Locale.ROOT, "%,d", server.packets()),
                        bytes(server.bytes()),
                        lastCheck(check)});
            }
            table(b, rows, colour);
        }

        List<Map.Entry<String, Long>> events = new ArrayList<>();
        List<Map.Entry<String, Long>> drops = new ArrayList<>();
        for (Map.Entry<String, Long> c : s.counters().entrySet()) {
            if (c.getValue() == 0) continue;
            (c.getKey().startsWith("drop_") ? drops : events).add(c);
        }
        b.append('\n').append("counters");
        if (events.isEmpty()) b.append(": all zero");
        b.append('\n');
        for (var e : events) b.append(String.format(Locale.ROOT, "  %-26s %,15d%n", e.getKey(), e.getValue()));
        if (drops.isEmpty()) {
            b.append("drops: none\n");
        } else {
            b.append(paint(colour, "31", "drops")).append('\n');
            for (var e : drops) {
                b.append(paint(colour, "31", String.format(Locale.ROOT, "  %-26s %,15d", e.getKey(), e.getValue()))).append('\n');
            }
        }
        return b.toString();
    }

    /** e.g. "L7STS 2.5 ms: HTTP 503 (expected 200)"; "-" before the first probe or without checks. */
    private static String lastCheck(Status.Check check) {
        if (check == null || check.result() == null) return "-";
        return String.format(Locale.ROOT, "%s %.1f ms: %s", check.result(), check.durationMs(), check.reason());
    }

    /** Per VIP: announced or why not; then what FRR says of the OSPF neighbours and BFD sessions. */
    static String announce(JsonNode a, boolean colour) {
        StringBuilder b = new StringBuilder();
        b.append('\n').append("announcements (device ").append(a.path("device").asString()).append(", hold-down ")
                .append(a.path("hold_down").asString()).append(a.path("draining").asBoolean() ? ", DRAINING" : "")
                .append(a.path("forwarding").asBoolean() ? "" : ", WATCHDOG: a worker is stuck").append(")\n");
        for (JsonNode v : a.path("vips")) {
            boolean on = v.path("announced").asBoolean();
            String line = String.format(Locale.ROOT, "  %-15s %-13s %s", v.path("vip").asString(),
                    on ? "announced" : "not announced", on ? "" : v.path("reason").asString());
            b.append(on ? line.stripTrailing() : paint(colour, "33", line)).append('\n');
        }
        JsonNode frr = a.path("frr");
        if (frr.path("error").isString()) {
            b.append(paint(colour, "31", "  FRR: " + frr.path("error").asString())).append('\n');
            return b.toString();
        }
        if (frr.path("device_problem").isString()) {
            b.append(paint(colour, "31", "  OSPF: " + frr.path("device_problem").asString())).append('\n');
        }
        if (frr.path("neighbors").isEmpty()) b.append(paint(colour, "31", "  OSPF: no neighbour")).append('\n');
        for (JsonNode n : frr.path("neighbors")) {
            b.append("  OSPF neighbour ").append(n.path("router_id").asString()).append(" (")
                    .append(n.path("address").asString()).append(" on ").append(n.path("iface").asString()).append("): ")
                    .append(n.path("state").asString()).append('\n');
        }
        for (JsonNode p : frr.path("bfd_peers")) {
            b.append("  BFD peer ").append(p.path("peer").asString()).append(" on ").append(p.path("iface").asString())
                    .append(": ").append(p.path("status").asString()).append(String.format(Locale.ROOT, " (%d ms x %d)",
                            p.path("receive_ms").asInt(), p.path("multiplier").asInt())).append('\n');
        }
        return b.toString();
    }

    /** Left-aligned text columns, right-aligned numbers; a server that is not up in yellow. */
    private static void table(StringBuilder b, List<String[]> rows, boolean colour) {
        int[] width = new int[rows.getFirst().length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
        boolean[] right = {false, true, false, false, true, false, true, true, false};
        for (int row = 0; row < rows.size(); row++) {
            String[] r = rows.get(row);
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < r.length; i++) {
                String cell = right[i] ? " ".repeat(width[i] - r[i].length()) + r[i] : r[i] + " ".repeat(width[i] - r[i].length());
                line.append(cell).append(i == r.length - 1 ? "" : "  ");
            }
            String text = line.toString().stripTrailing();
            b.append(row > 0 && (r[2].equals(Status.Health.DOWN.json()) || r[2].equals(Status.Health.UNKNOWN.json()))
                    ? paint(colour, "33", text) : text).append('\n');
        }
    }

    private static String paint(boolean colour, String code, String text) {
        return colour ? "\u001b[" + code + "m" + text + "\u001b[0m" : text;
    }

    static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String duration(long seconds) {
        if (seconds < 60) return seconds + "s";
        if (seconds < 3600) return seconds / 60 + "m" + String.format(Locale.ROOT, "%02ds", seconds % 60);
        if (seconds < 86400) return seconds / 3600 + "h" + String.format(Locale.ROOT, "%02dm", seconds / 60 % 60);
        return seconds / 86400 + "d" + String.format(Locale.ROOT, "%02dh", seconds / 3600 % 24);
    }
}
