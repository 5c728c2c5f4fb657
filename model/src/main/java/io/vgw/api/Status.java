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
 * @param device   the DPDK devargs the port runs with
 * @param portKind af_xdp, af_packet, or device (port.device as written)
 * @param portFallback why AF_XDP is not used, when port.kind auto fell back to AF_PACKET; null otherwise
 */
public record Status(String node, String address, String revision, long generation, long uptimeSeconds,
                     String device, String portKind, String portFallback, String mac, int workers, long connections, long connectionCapacity,
                     Map<String, Long> counters, List<Task> tasks, List<Service> services) {

    /**
     * @param held     not published yet: its servers' first health probes are still running (gateway start, new service)
     * @param failOpen no server is up, so every server gets new flows
     */
    public record Service(String name, String endpoint, boolean held, boolean failOpen, List<Server> servers) {}

    /**
     * @param share   of the Maglev table (new flows), 0..1
     * @param nextHop the next hop's MAC, or null while unresolved
     * @param check   the last health check, null when the server has none
     */
    public record Server(String address, int weight, Health health, double share, String nextHop, long packets, long bytes,
                         Check check) {}

    /**
     * A server's health check, as operators read it.
     *
     * @param since      when the server entered its health state (ISO-8601), null before the first probe
     * @param result     the last probe's result code (L4OK, L4TOUT, L4CON, L7OK, L7TOUT, L7RSP, L7STS, SOCKERR)
     * @param status     the HTTP status of the last probe, 0 when none
     * @param durationMs the last probe's duration
     * @param reason     the last result in words: "connection refused", "HTTP 503 (expected 200)", ...
     * @param target     address:port probed (shared by every service with the same server, port and check)
     */
    public record Check(String since, String result, int status, double durationMs, String reason, String target) {}

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
