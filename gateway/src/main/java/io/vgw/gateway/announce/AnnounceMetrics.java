package io.vgw.gateway.announce;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vgw.frr.Announcer;
import io.vgw.frr.FrrState;

/**
 * The announcer's metrics, read at scrape time (the FRR states by two vtysh calls per scrape):
 *
 * <pre>
 * vgw_vip_announced{vip}                  1 while this node announces the VIP, else 0
 * vgw_vip_withdrawals_total               VIP withdrawals (health, watchdog, drain, config)
 * vgw_watchdog_stalls_total               times a worker's loop stood still past the watchdog
 * vgw_ospf_neighbors{state}               OSPF neighbours by state (Full when all is well)
 * vgw_bfd_peers{status}                   BFD sessions by status (up when all is well)
 * </pre>
 */
public final class AnnounceMetrics {
    private AnnounceMetrics() {}

    public static void register(PrometheusRegistry registry, Announcing announcing) {
        GaugeWithCallback.builder().name("vgw_vip_announced")
                .help("1 while this node announces the VIP (an address on the TAP device, in the node's OSPF router-LSA), else 0.")
                .labelNames("vip")
                .callback(cb -> {
                    for (Announcer.VipState v : announcing.announcer().status()) cb.call(v.announced() ? 1 : 0, v.vip());
                })
                .register(registry);
        CounterWithCallback.builder().name("vgw_vip_withdrawals_total")
                .help("VIP withdrawals: no healthy server, a stalled worker, drain, or removed from the config.")
                .callback(cb -> cb.call(announcing.announcer().withdrawals()))
                .register(registry);
        CounterWithCallback.builder().name("vgw_watchdog_stalls_total")
                .help("Times a worker's loop stood still past the watchdog (every VIP withdrawn meanwhile).")
                .callback(cb -> cb.call(announcing.stalls()))
                .register(registry);
        GaugeWithCallback.builder().name("vgw_ospf_neighbors")
                .help("This node's OSPF neighbours by state, as FRR reports them (Full when adjacent).")
                .labelNames("state")
                .callback(cb -> {
                    FrrState frr = announcing.frr();
                    java.util.Map<String, Integer> byState = new java.util.TreeMap<>(java.util.Map.of("Full", 0));
                    for (FrrState.Neighbor n : frr.neighbors()) byState.merge(n.state(), 1, Integer::sum);
                    byState.forEach((state, count) -> cb.call(count, state));
                })
                .register(registry);
        GaugeWithCallback.builder().name("vgw_bfd_peers")
                .help("This node's BFD sessions by status, as FRR reports them (up when the link is alive).")
                .labelNames("status")
                .callback(cb -> {
                    java.util.Map<String, Integer> byStatus = new java.util.TreeMap<>(java.util.Map.of("up", 0));
                    for (FrrState.BfdPeer p : announcing.frr().bfdPeers()) byStatus.merge(p.status(), 1, Integer::sum);
                    byStatus.forEach((status, count) -> cb.call(count, status));
                })
                .register(registry);
    }
}
