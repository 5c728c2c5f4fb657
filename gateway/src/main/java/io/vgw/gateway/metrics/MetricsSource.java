package io.vgw.gateway.metrics;

import io.vgw.api.Status;
import io.vgw.gateway.dpdk.Port;
import java.util.List;
import java.util.Map;

/**
 * What the metrics read from a gateway, at scrape time only: every method is a read of counters the workers keep
 * anyway (nothing is added to the packet path). A seam for tests, which scrape a fake.
 */
public interface MetricsSource {
    /** The DPDK port's name, e.g. net_af_xdp0: the {@code port} label. */
    String port();

    /** The port's DPDK counters ({@code rte_eth_stats_get}). */
    Port.Stats portStats();

    /** Data plane counters summed over workers, indexed by {@link io.vgw.gateway.dataplane.Counter} ordinal. */
    long[] counters();

    /** Live connection entries over all workers (a scan of the tables). */
    long connections();

    /** Connection entries all workers can hold. */
    long connectionCapacity();

    /** "service/server" per server id, the index being the id; null for an id no live server holds. */
    List<String> serverLabels();

    /** Packets at 2 * id, bytes at 2 * id + 1, per server id, summed over workers. */
    long[] serverCounters();

    /** The live forwarding state's generation (0 before the first config). */
    long generation();

    /** The gateway's background tasks with their failure counts. */
    List<Status.Task> tasks();

    /** Per "service/server", whether the server is in its table as up (health), for {@code vgw_server_up}. */
    default Map<String, Boolean> serversUp() {
        return Map.of();
    }

    /** The health checker's metrics, or null when there is no checker (tests). */
    default HealthMetrics health() {
        return null;
    }
}
