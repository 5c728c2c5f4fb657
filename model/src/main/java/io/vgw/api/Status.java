package io.vgw.api;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GET /v1/status: a snapshot of a running gateway for {@code vgw status}, the lab and the reconciler.
 *
 * @param revision the live config's revision: what tells whether nodes run the same config (generations differ by
 *                 node, since health changes and restarts bump them)
 * @param counters every data plane counter, summed over workers, by metric name
 * @param tasks    the gateway's scheduled background tasks (next-hop refresh, ...), with their failures
 */
public record Status(String node, String address, String revision, long generation, long uptimeSeconds,
                     String device, String mac, int workers, long connections, long connectionCapacity,
                     Map<String, Long> counters, List<Task> tasks, List<Service> services) {

    public record Service(String name, String endpoint, List<Server> servers) {}

    /**
     * @param share   of the Maglev table (new flows), 0..1
     * @param nextHop the next hop's MAC, or null while unresolved
     */
    public record Server(String address, int weight, Health health, double share, String nextHop, long packets, long bytes) {}

    /**
     * What health checking says of a server. {@code unchecked}: no checker judges it (it gets traffic by its
     * weight); {@code unknown}: a checker runs but has no verdict yet.
     */
    public enum Health {
        UNKNOWN, UNCHECKED, UP, DOWN;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A background task: it never stops on a failure, whatever was thrown (an Error too); failures are counted here
     * and in the metrics ({@code vgw_task_failures_total{task}}).
     *
     * @param lastError the last failure, null if none
     */
    public record Task(String name, long runs, long failures, String lastError) {}
}
