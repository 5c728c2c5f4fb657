package io.vgw.gateway.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vgw.gateway.dataplane.Counter;
import io.vgw.gateway.dpdk.Port;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The gateway's Prometheus metrics, every one a callback read at scrape time:
 *
 * <pre>
 * vgw_port_{rx,tx}_{packets,bytes}_total{port}   DPDK port counters (rte_eth_stats)
 * vgw_port_rx_missed_total{port}                  dropped by the NIC: RX ring full (imissed)
 * vgw_port_{rx,tx}_errors_total{port}, vgw_port_rx_nombuf_total{port}
 * vgw_packets_total{event}                        every non-drop {@link Counter}: rx, tx, pass, encapsulated, ...
 * vgw_drops_total{reason}                         every DROP_* {@link Counter} (reason: too_short, no_service, ...), 0 included
 * vgw_conn_entries, vgw_conn_capacity             live connection entries (a scan) and what the tables hold
 * vgw_conn_misses_total{kind="new"|"mid"}         connection-table misses on new flows / mid-flow
 * vgw_server_{packets,bytes}_total{service,server} sent to each real server of the live config
 * vgw_config_generation                           the live forwarding state's generation
 * vgw_task_runs_total{task}, vgw_task_failures_total{task}   background tasks (next-hop refresh, ...) and their failures
 * vgw_server_up{service,server}                   1 when the server is in its table as up (health), else 0
 * vgw_health_*                                    the checker's probes, see {@link HealthMetrics}
 * </pre>
 */
public final class GatewayMetrics {
    private static final String DROP = "drop_";

    private GatewayMetrics() {}

    /** A registry holding the gateway's metrics, read from {@code source} on each scrape. */
    public static PrometheusRegistry registry(MetricsSource source) {
        PrometheusRegistry registry = new PrometheusRegistry();
        port(registry, source, "vgw_port_rx_packets_total", "Frames received by the port (DPDK ipackets).", Port.Stats::ipackets);
        port(registry, source, "vgw_port_tx_packets_total", "Frames sent by the port (DPDK opackets).", Port.Stats::opackets);
        port(registry, source, "vgw_port_rx_bytes_total", "Bytes received by the port (DPDK ibytes).", Port.Stats::ibytes);
        port(registry, source, "vgw_port_tx_bytes_total", "Bytes sent by the port (DPDK obytes).", Port.Stats::obytes);
        port(registry, source, "vgw_port_rx_missed_total",
                "Frames the port dropped because the RX ring was full: workers too slow (DPDK imissed).", Port.Stats::imissed);
        port(registry, source, "vgw_port_rx_errors_total", "Erroneous frames received (DPDK ierrors).", Port.Stats::ierrors);
        port(registry, source, "vgw_port_tx_errors_total", "Failed transmissions (DPDK oerrors).", Port.Stats::oerrors);
        port(registry, source, "vgw_port_rx_nombuf_total",
                "RX mbuf allocation failures: the mbuf pool ran dry (DPDK rx_nombuf).", Port.Stats::rxNombuf);

        CounterWithCallback.builder().name("vgw_packets_total")
                .help("Packets by what the data plane did with them (the events of vgw status' counters).")
                .labelNames("event")
                .callback(cb -> {
                    long[] counters = source.counters();
                    for (Counter c : Counter.values()) if (!c.isDrop()) cb.call(counters[c.ordinal()], c.metricName());
                })
                .register(registry);
        CounterWithCallback.builder().name("vgw_drops_total")
                .help("Packets dropped, by reason (every reason is present, at 0 until it happens).")
                .labelNames("reason")
                .callback(cb -> {
                    long[] counters = source.counters();
                    for (Counter c : Counter.values()) {
                        if (c.isDrop()) cb.call(counters[c.ordinal()], c.metricName().substring(DROP.length()));
                    }
                })
                .register(registry);
        CounterWithCallback.builder().name("vgw_conn_misses_total")
                .help("Connection-table misses: on a new flow, or in the middle of a TCP flow (lost entry, or the flow came from another LB node).")
                .labelNames("kind")
                .callback(cb -> {
                    long[] counters = source.counters();
                    cb.call(counters[Counter.CONN_MISS_NEW.ordinal()], "new");
                    cb.call(counters[Counter.CONN_MISS_MID.ordinal()], "mid");
                })
                .register(registry);

        GaugeWithCallback.builder().name("vgw_conn_entries")
                .help("Live connection entries over all workers (approximate: counted while workers run).")
                .callback(cb -> cb.call(source.connections()))
                .register(registry);
        GaugeWithCallback.builder().name("vgw_conn_capacity")
                .help("Connection entries the workers' tables can hold (conn_table.entries per worker, rounded up to a power of two).")
                .callback(cb -> cb.call(source.connectionCapacity()))
                .register(registry);

        server(registry, source, "vgw_server_packets_total", "Packets sent to a real server (IPIP).", 0);
        server(registry, source, "vgw_server_bytes_total", "Bytes sent to a real server: the clients' IP packets, without the outer IPIP header.", 1);

        GaugeWithCallback.builder().name("vgw_config_generation")
                .help("Generation of the live forwarding state: +1 per config applied or table rebuilt; 0 before the first config.")
                .callback(cb -> cb.call(source.generation()))
                .register(registry);
        CounterWithCallback.builder().name("vgw_task_runs_total")
                .help("Runs of a background task (next-hops: the next-hop refresh).")
                .labelNames("task")
                .callback(cb -> source.tasks().forEach(t -> cb.call(t.runs(), t.name())))
                .register(registry);
        CounterWithCallback.builder().name("vgw_task_failures_total")
                .help("Runs of a background task that failed (logged; the task keeps running; vgw status shows the last error).")
                .labelNames("task")
                .callback(cb -> source.tasks().forEach(t -> cb.call(t.failures(), t.name())))
                .register(registry);

        GaugeWithCallback.builder().name("vgw_server_up")
                .help("1 when a real server is in its service's table as up: health checks pass (or are not configured), or the service fails open.")
                .labelNames("service", "server")
                .callback(cb -> source.serversUp().forEach((label, up) -> {
                    int slash = label.indexOf('/');
                    cb.call(up ? 1 : 0, label.substring(0, slash), label.substring(slash + 1));
                }))
                .register(registry);
        if (source.health() != null) source.health().register(registry);
        return registry;
    }

    private static void port(PrometheusRegistry registry, MetricsSource source, String name, String help,
                             ToLongFunction<Port.Stats> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("port")
                .callback(cb -> cb.call(value.applyAsLong(source.portStats()), source.port()))
                .register(registry);
    }

    /** @param offset 0 for packets, 1 for bytes */
    private static void server(PrometheusRegistry registry, MetricsSource source, String name, String help, int offset) {
        CounterWithCallback.builder().name(name).help(help).labelNames("service", "server")
                .callback(cb -> {
                    List<String> labels = source.serverLabels();
                    long[] counts = source.serverCounters();
                    for (int id = 0; id < labels.size() && 2 * id + 1 < counts.length; id++) {
                        String label = labels.get(id);
                        if (label == null) continue; // no live server: its series is gone
                        int slash = label.indexOf('/');
                        cb.call(counts[2 * id + offset], label.substring(0, slash), label.substring(slash + 1));
                    }
                })
                .register(registry);
    }
}
