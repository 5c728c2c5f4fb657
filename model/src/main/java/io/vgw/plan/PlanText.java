package io.vgw.plan;

import java.util.Locale;

/** The plan for people: one block per service, Terraform's + ~ - marks, coloured on a terminal. */
public final class PlanText {
    private final boolean colour;
    private final StringBuilder out = new StringBuilder();

    private PlanText(boolean colour) {
        this.colour = colour;
    }

    public static String render(Plan plan, boolean colour) {
        return new PlanText(colour).plan(plan);
    }

    private String plan(Plan plan) {
        if (!plan.changed()) return "No changes. The two configs give the same tables and announcements.\n";
        for (Plan.ServiceChange s : plan.services()) service(s);
        if (!plan.cluster().isEmpty()) {
            out.append("cluster\n");
            for (Plan.FieldChange f : plan.cluster()) field(f);
            out.append('\n');
        }
        if (!plan.announcements().isEmpty()) {
            out.append("announcements (OSPF, every node)\n");
            for (Plan.Announcement a : plan.announcements()) {
                out.append("    ").append(mark(a.action())).append(' ').append(a.vip())
                        .append(a.action() == Plan.Action.ADD ? "  announce" : "  withdraw").append('\n');
            }
            out.append('\n');
        }
        out.append(String.format(Locale.ROOT, "Plan: %d to add, %d to change, %d to remove.%n",
                plan.count(Plan.Action.ADD), plan.count(Plan.Action.CHANGE), plan.count(Plan.Action.REMOVE)));
        return out.toString();
    }

    private void service(Plan.ServiceChange s) {
        out.append(mark(s.action())).append(" service ").append(s.name()).append("  ").append(s.endpoint());
        if (s.action() == Plan.Action.REMOVE) out.append("  (its flows end; the VIP port stops answering)");
        out.append('\n');
        if (s.action() == Plan.Action.CHANGE) for (Plan.FieldChange f : s.fields()) field(f);
        for (Plan.ServerChange r : s.servers()) server(r);
        if (s.action() == Plan.Action.CHANGE) {
            Plan.FlowMove f = s.flows();
            out.append(String.format(Locale.ROOT, "    flows moving to another server: %s%s%s%n",
                    paint(f.movedShare() > 0 ? "33" : "32", percent(f.movedShare())),
                    f.movedShare() > 0 ? " (the new shares need at least " + percent(f.minimumShare()) + ")" : "",
                    f.tableSizeBefore() == f.tableSizeAfter() ? ""
                            : "  (table " + f.tableSizeBefore() + " -> " + f.tableSizeAfter() + ")"));
        }
        out.append('\n');
    }

    private void field(Plan.FieldChange f) {
        Plan.Action action = f.before() == null ? Plan.Action.ADD : f.after() == null ? Plan.Action.REMOVE : Plan.Action.CHANGE;
        out.append("    ").append(mark(action)).append(' ').append(f.field()).append(": ");
        switch (action) {
            case ADD -> out.append(f.after());
            case REMOVE -> out.append(f.before());
            case CHANGE -> out.append(f.before()).append(" -> ").append(f.after());
        }
        out.append('\n');
    }

    private void server(Plan.ServerChange r) {
        String weight = switch (r.action()) {
            case ADD -> "weight " + r.weightAfter();
            case REMOVE -> "weight " + r.weightBefore();
            case CHANGE -> r.weightBefore().equals(r.weightAfter()) ? "weight " + r.weightAfter()
                    : "weight " + r.weightBefore() + " -> " + r.weightAfter();
        };
        boolean reweighted = r.action() == Plan.Action.CHANGE && !r.weightBefore().equals(r.weightAfter());
        String mark = r.action() == Plan.Action.CHANGE && !reweighted ? " " : mark(r.action());
        out.append(String.format(Locale.ROOT, "    %s %-21s %-18s share %s -> %s%n", mark, r.server(), weight,
                percent(r.shareBefore()), percent(r.shareAfter())));
    }

    private String mark(Plan.Action action) {
        return switch (action) {
            case ADD -> paint("32", "+");
            case REMOVE -> paint("31", "-");
            case CHANGE -> paint("33", "~");
        };
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    private String paint(String code, String text) {
        return colour ? "\u001b[" + code + "m" + text + "\u001b[0m" : text;
    }
}
