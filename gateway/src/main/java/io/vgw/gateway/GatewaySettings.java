package io.vgw.gateway;

import io.vgw.config.Durations;
import io.vgw.config.Ipv4;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.config.load.SourceFile;
import io.vgw.gateway.dpdk.EalConfig;
import io.vgw.gateway.port.PortKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * A gateway daemon's node-local settings (gateway.yaml, schemas/gateway.schema.json), with defaults filled in.
 *
 * @param device   DPDK devargs as written ({@code port.device}); empty when the port is given by {@code iface}
 * @param iface    the interface to forward on ({@code port.iface}): the gateway makes the devargs for {@code portKind}
 * @param portKind auto, af_xdp or af_packet with {@code iface}; device without it
 * @param nextHop "kernel", or a fixed MAC for every server
 * @param descriptors RX and TX ring size per queue; 0: the port kind's default ({@link PortKind#defaultDescriptors})
 * @param mbufs   0: sized from the rings and workers
 * @param mbufSize 0: DPDK's default data room (a full Ethernet frame plus headroom)
 * @param healthChecks false: no probes, every server counts as up (rigs with no path to the servers)
 * @param healthSource the local address health probes are sent from; empty: chosen by route
 * @param forwardingBudget heap bytes the forwarding state may take, the old one included during a swap
 * @param announce     how this node announces its VIPs through FRR; empty: it announces nothing
 */
public record GatewaySettings(String node, int address, Optional<Path> config, EalConfig eal, String device,
                              Optional<String> iface, PortKind portKind, int queues, int mtu, String nextHop, int descriptors, int mbufs, int mbufSize,
                              boolean spin, List<Integer> cpus,
                              int connEntries,
                              int maxServers, long forwardingBudget, Path controlSocket, Duration requestTimeout,
                              Optional<String> metricsListen, boolean healthChecks, Optional<Integer> healthSource,
                              Optional<Announce> announce) {

    /**
     * How this node announces its VIPs (gateway.yaml {@code announce:}; absent: it announces nothing).
     *
     * @param device       the TAP device the announced VIPs are addresses on (ospfd runs on it for the VIPs)
     * @param holdDown     a withdrawn VIP is announced again once it has been fit to announce this long
     * @param watchdog     a worker whose loop stands still this long withdraws every VIP
     * @param vtySocket    the FRR daemons' vty socket folder (status reads); empty: FRR's default
     * @param drainQuiet   drain ends once no VIP packet arrived for this long (the router moved the traffic)
     * @param drainTimeout drain ends after this long anyway
     */
    public record Announce(String device, Duration holdDown, Duration watchdog, Optional<Path> vtySocket,
                           Duration drainQuiet, Duration drainTimeout) {}

    /** Thrown with every problem of a settings file, each as file:line:column: field: message. */
    public static final class Invalid extends IllegalArgumentException {
        public final List<Problem> problems;

        Invalid(List<Problem> problems) {
            super(problems.stream().map(Problem::toString).reduce((a, b) -> a + "\n" + b).orElse("invalid"));
            this.problems = problems;
        }
    }

    public static GatewaySettings read(Path file) throws IOException {
        var loaded = ConfigLoader.loadGatewaySettings(new SourceFile(file.toString(), ConfigLoader.decode(Files.readAllBytes(file))));
        if (!loaded.ok()) throw new Invalid(portInWords(loaded.problems()));
        return of(loaded.root(), file.toAbsolutePath().getParent());
    }

    /** @param base relative paths in the file are relative to it (the file's folder) */
    static GatewaySettings of(JsonNode n, Path base) {
        String node = n.path("gateway").asString();
        JsonNode eal = n.path("eal");
        EalConfig.Builder b = EalConfig.builder()
                .lcores(eal.path("lcores").asString("0"))
                .memoryMb(eal.path("memory_mb").asInt(512))
                .logLevel(eal.path("log_level").asString("notice"));
        if (eal.has("huge_dir")) b.hugeDir(base.resolve(eal.path("huge_dir").asString()));
        for (JsonNode arg : eal.path("args")) b.extraArg(arg.asString());
        JsonNode port = n.path("port");
        return new GatewaySettings(
                node,
                Ipv4.parse(n.path("address").asString()),
                n.has("config") ? Optional.of(base.resolve(n.path("config").asString())) : Optional.empty(),
                b.build(),
                port.path("device").asString(""),
                port.has("iface") ? Optional.of(port.path("iface").asString()) : Optional.empty(),
                port.has("iface") ? PortKind.parse(port.path("kind").asString("auto")) : PortKind.DEVICE,
                port.path("queues").asInt(1),
                port.path("mtu").asInt(1500),
                port.path("next_hop").asString("kernel"),
                port.path("descriptors").asInt(0),
                port.path("mbufs").asInt(0),
                port.path("mbuf_size").asInt(0),
                n.path("workers").path("spin").asBoolean(false),
                n.path("workers").path("cpus").valueStream().map(JsonNode::asInt).toList(),
                n.path("conn_table").path("entries").asInt(1 << 20),
                n.path("max_servers").asInt(1 << 16),
                n.has("forwarding_budget_mb") ? n.path("forwarding_budget_mb").asLong() << 20 : defaultBudget(),
                base.resolve(n.path("control").path("socket").asString("/run/vgw/" + node + ".sock")),
                Durations.parse(n.path("control").path("request_timeout").asString("10s")),
                n.path("metrics").has("listen") ? Optional.of(n.path("metrics").path("listen").asString()) : Optional.empty(),
                n.path("health").path("enabled").asBoolean(true),
                n.path("health").has("source") ? Optional.of(Ipv4.parse(n.path("health").path("source").asString())) : Optional.empty(),
                announce(n.path("announce"), base));
    }

    private static Optional<Announce> announce(JsonNode a, Path base) {
        if (a.isMissingNode()) return Optional.empty();
        return Optional.of(new Announce(a.path("device").asString("vgw0"),
                Durations.parse(a.path("hold_down").asString("5s")),
                Durations.parse(a.path("watchdog").asString("1s")),
                a.has("vty_socket") ? Optional.of(base.resolve(a.path("vty_socket").asString())) : Optional.empty(),
                Durations.parse(a.path("drain_quiet").asString("1s")),
                Durations.parse(a.path("drain_timeout").asString("30s"))));
    }

    /**
     * The schema's oneOf for port (device, or iface with kind) fails with up to three generic lines; one says it.
     */
    private static List<Problem> portInWords(List<Problem> problems) {
        List<Problem> port = problems.stream().filter(p -> p.field().equals("port") && (p.message().contains("schema")
                || p.message().contains("'device'") || p.message().contains("'iface'"))).toList();
        if (port.isEmpty()) return problems;
        Problem first = port.getFirst();
        List<Problem> all = new java.util.ArrayList<>(problems);
        all.removeAll(port);
        all.add(new Problem(first.file(), first.line(), first.column(), "port", "give either device (DPDK devargs, as "
                + "written) or iface (an interface, with kind: auto, af_xdp or af_packet), not both"));
        return all.stream().sorted().toList();
    }

    /** Three quarters of the heap: the rest is for the config being applied, the control API and metrics. */
    static long defaultBudget() {
        return Runtime.getRuntime().maxMemory() / 4 * 3;
    }

    private static final Pattern IFACE = Pattern.compile("(?:^|,)iface=([^,]+)");

    /** The kernel interface behind the port (port.iface, or the vdev's iface=), whose routes and neighbours give next hops. */
    public Optional<String> kernelInterface() {
        if (iface.isPresent()) return iface;
        Matcher m = IFACE.matcher(device);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
