package io.vgw.plan;

import java.util.Locale;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The plan for tools (CI bots): a stable snake_case JSON document, shares as fractions 0..1. */
public final class PlanJson {
    private PlanJson() {}

    public static ObjectNode tree(Plan plan) {
        JsonMapper json = JsonMapper.shared();
        ObjectNode root = json.createObjectNode();
        root.put("changed", plan.changed());
        ObjectNode summary = root.putObject("summary");
        summary.put("add", plan.count(Plan.Action.ADD));
        summary.put("change", plan.count(Plan.Action.CHANGE));
        summary.put("remove", plan.count(Plan.Action.REMOVE));
        ArrayNode services = root.putArray("services");
        for (Plan.ServiceChange s : plan.services()) {
            ObjectNode o = services.addObject();
            o.put("name", s.name());
            o.put("action", name(s.action()));
            o.put("endpoint", s.endpoint());
            fields(o.putArray("fields"), s.fields());
            ArrayNode servers = o.putArray("servers");
            for (Plan.ServerChange r : s.servers()) {
                ObjectNode server = servers.addObject();
                server.put("server", r.server());
                // a server whose weight stays is "unchanged", even when its share moves because others changed
                server.put("action", r.action() == Plan.Action.CHANGE && !r.reweighted() ? "unchanged" : name(r.action()));
                if (r.weightBefore() != null) server.put("weight_before", r.weightBefore());
                if (r.weightAfter() != null) server.put("weight_after", r.weightAfter());
                server.put("share_before", r.shareBefore());
                server.put("share_after", r.shareAfter());
            }
            if (s.flows() != null) {
                ObjectNode flows = o.putObject("flows");
                flows.put("moved_share", s.flows().movedShare());
                flows.put("minimum_share", s.flows().minimumShare());
                flows.put("table_size_before", s.flows().tableSizeBefore());
                flows.put("table_size_after", s.flows().tableSizeAfter());
            }
        }
        fields(root.putArray("cluster"), plan.cluster());
        ArrayNode announcements = root.putArray("announcements");
        for (Plan.Announcement a : plan.announcements()) {
            announcements.addObject().put("prefix", a.vip()).put("action", a.action() == Plan.Action.ADD ? "announce" : "withdraw");
        }
        return root;
    }

    public static String render(Plan plan) {
        return JsonMapper.shared().writerWithDefaultPrettyPrinter().writeValueAsString(tree(plan)) + "\n";
    }

    private static void fields(ArrayNode array, java.util.List<Plan.FieldChange> fields) {
        for (Plan.FieldChange f : fields) {
            ObjectNode o = array.addObject();
            o.put("field", f.field());
            o.put("before", f.before());
            o.put("after", f.after());
        }
    }

    private static String name(Plan.Action action) {
        return action.name().toLowerCase(Locale.ROOT);
    }
}
