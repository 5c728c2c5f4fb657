package io.vgw.plan;

import java.util.List;

/**
 * What applying one config over another would change, Terraform-style: per service, per server, per announced VIP,
 * and for every changed pool the share of flows that would move to another server.
 */
public record Plan(List<ServiceChange> services, List<FieldChange> cluster, List<Announcement> announcements) {
    public enum Action { ADD, REMOVE, CHANGE }

    /** A field that differs, with both values as written in YAML (null when absent). */
    public record FieldChange(String field, String before, String after) {}

    /**
     * A server that was added, removed or reweighted, or whose share of the table moved because others changed.
     *
     * @param shareBefore its share of the table before (0..1)
     */
    public record ServerChange(String server, Action action, Integer weightBefore, Integer weightAfter,
                               double shareBefore, double shareAfter) {
        /** Its weight changes; a CHANGE that is not reweighted only sees its share move because others changed. */
        public boolean reweighted() {
            return action == Action.CHANGE && !weightBefore.equals(weightAfter);
        }
    }

    /**
     * @param movedShare   share of the service's flows whose server changes (0..1); for a removed service 1
     * @param minimumShare the least any scheme could move to reach the new shares: the sum of the shares servers lose
     */
    public record FlowMove(double movedShare, double minimumShare, int tableSizeBefore, int tableSizeAfter) {}

    /**
     * @param servers   every server whose weight or share changes, in canonical order
     * @param flows     null for an added or removed service
     */
    public record ServiceChange(String name, Action action, String endpoint, List<FieldChange> fields,
                                List<ServerChange> servers, FlowMove flows) {}

    /** A /32 route the cluster starts or stops announcing. */
    public record Announcement(String vip, Action action) {}

    public boolean changed() {
        return !services.isEmpty() || !cluster.isEmpty() || !announcements.isEmpty();
    }

    public long count(Action action) {
        return services.stream().filter(s -> s.action() == action).count();
    }
}
