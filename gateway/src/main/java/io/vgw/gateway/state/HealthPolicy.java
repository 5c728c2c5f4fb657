package io.vgw.gateway.state;

import io.vgw.config.Config;
import io.vgw.config.HealthCheck;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import io.vgw.health.Check;
import io.vgw.health.Health;
import io.vgw.health.State;
import io.vgw.health.Target;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What health verdicts mean for the forwarding state: config, verdicts and the time in, per service the servers
 * left out of its table out. Pure, so the rules are tested without DPDK.
 *
 * <ul>
 *   <li>A server is in its service's table when it is up. A server not checked yet (unknown) is left out for at
 *       most {@link #hold} (one interval, its jitter and one timeout: its first probe has answered by then), then
 *       counts as up: a checker that cannot keep up must not empty the pool.
 *   <li>Start-up: a service not yet published (gateway start, new service) is held back while it has no up server
 *       and some are still unknown within the hold; it is published as soon as a server is up, or when the hold
 *       ends. A restart never publishes a table of only unknown servers and never black-holes a VIP for longer
 *       than one round of probes.
 *   <li>When no server with a positive weight is up (all down, or only drained ones up), the service fails open:
 *       every server is in the table with its configured weight, as Envoy's panic mode does. Dropping every new flow
 *       is never better than trying the servers, and a broken checker path (a management link down) must not take
 *       every VIP down. Status shows it (fail_open) and the gateway logs each entry and exit.
 *   <li>A weight-0 server (drain) that is up stays "up": its connections stay. A down server's flows are
 *       rescheduled on their next packet.
 * </ul>
 */
public final class HealthPolicy {
    private HealthPolicy() {}

    /** The probe for one server of a service, or null when the service has no checks (health type none). */
    public static Target target(ServiceConfig s, RealServer r) {
        HealthCheck h = s.health();
        if (h.type() == HealthCheck.Type.NONE) return null;
        return new Target(r.address(), h.probePort(r, s.port()), Check.of(h));
    }

    /** Every probe a config needs, once each however many services share it. */
    public static Set<Target> targets(Config config) {
        Set<Target> all = new LinkedHashSet<>();
        for (ServiceConfig s : config.services()) {
            for (RealServer r : s.servers()) {
                Target t = target(s, r);
                if (t != null) all.add(t);
            }
        }
        return all;
    }

    /** How long an unknown server is left out: one interval (its phase), the jitter, and one timeout. */
    public static long hold(Check c) {
        return c.interval().toMillis() + c.interval().toMillis() / 20 + c.timeout().toMillis();
    }

    /**
     * @param out        per service, addresses of the servers left out of its table (absent: none)
     * @param held       services not published yet (their first round of probes is still running)
     * @param failOpen   services with no up server, published with every server in
     * @param recheckAt  when a hold ends and the decision must be made again (epoch ms), Long.MAX_VALUE for never
     * @param unsettled  services with a server still unknown within its hold: their table may differ from other
     *                   nodes' (which know that server), so this node must not attract flows to them yet
     */
    public record Decision(Map<String, Set<Integer>> out, Set<String> held, Set<String> failOpen, long recheckAt,
                           Set<String> unsettled) {
        public static final Decision NONE = new Decision(Map.of(), Set.of(), Set.of(), Long.MAX_VALUE, Set.of());
    }

    /**
     * @param health    the verdict on a target (null: not a target yet, counts as unknown since now)
     * @param published services in the live forwarding state
     */
    public static Decision decide(Config config, Function<Target, Health> health, Set<String> published, long nowMillis) {
        Map<String, Set<Integer>> out = new HashMap<>();
        Set<String> held = new HashSet<>();
        Set<String> failOpen = new HashSet<>();
        Set<String> unsettled = new HashSet<>();
        long recheck = Long.MAX_VALUE;
        for (ServiceConfig s : config.services()) {
            if (s.health().type() == HealthCheck.Type.NONE) continue;
            Set<Integer> left = new HashSet<>();
            boolean anyUp = false;
            boolean waiting = false;
            for (RealServer r : s.servers()) {
                Target t = target(s, r);
                Health h = health.apply(t);
                boolean up;
                if (h == null || h.state() == State.UNKNOWN) {
                    long until = (h == null ? nowMillis : h.sinceMillis()) + hold(t.check());
                    up = nowMillis >= until;
                    if (!up) {
                        waiting = true;
                        recheck = Math.min(recheck, until);
                    }
                } else {
                    up = h.state() == State.UP;
                }
                if (up && r.weight() > 0) anyUp = true;
                if (!up) left.add(r.address());
            }
            if (waiting) unsettled.add(s.name());
            if (anyUp) {
                if (!left.isEmpty()) out.put(s.name(), left);
            } else if (waiting && !published.contains(s.name())) {
                held.add(s.name());
            } else {
                failOpen.add(s.name());
            }
        }
        return new Decision(out, held, failOpen, recheck, unsettled);
    }
}
