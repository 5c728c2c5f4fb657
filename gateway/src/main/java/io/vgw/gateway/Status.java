package io.vgw.gateway;

import java.util.List;
import java.util.Map;

/**
 * A snapshot of a running gateway for `vgw status` and the control API.
 *
 * @param counters every {@link io.vgw.gateway.dataplane.Counter}, summed over workers, by metric name
 */
public record Status(String node, String address, String revision, long generation, long uptimeSeconds,
                     String device, String mac, int workers, long connections, long connectionCapacity,
                     Map<String, Long> counters, List<Service> services) {

    public record Service(String name, String endpoint, List<Server> servers) {}

    /**
     * @param share  of the Maglev table (new flows), 0..1
     * @param nextHop the next hop's MAC, or null while unresolved
     */
    public record Server(String address, int weight, boolean up, double share, String nextHop, long packets, long bytes) {}
}
