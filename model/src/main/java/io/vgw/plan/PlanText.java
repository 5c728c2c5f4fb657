package io.vgw.plan;

import java.util.Comparator;
import java.util.List;
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

    /**
     * The plan in at most about {@code maxChars} characters (a pull-request comment has 65,536): in full when it
     * fits, else one line per service, the most disruptive first (the share of flows that move), as many as fit.
     */
    public static String render(Plan plan, boolean colour, int maxChars) {
        String full = render(plan, colour);
        return full.length() <= maxChars ? full : new PlanText(colour).summary(plan, full.length(), maxChars);
    }

    private String summary(Plan plan, int fullLength, int maxChars) {
        String total = String.format(Locale.ROOT, "Plan: %d to add, %d to change, %d to remove.%n",
                plan.count(Plan.Action.ADD), plan.count(Plan.Action.CHANGE), plan.count(Plan.Action.REMOVE));
        long announce = plan.announcements().stream().filter(a -> a.action() == Plan.Action.ADD).count();
        String tail = String.format(Locale.ROOT, "%ncluster: %d field%s change; announcements: %d to announce, "
                        + "%d to withdraw%n%n%s", plan.cluster().size(), plan.cluster().size() == 1 ? "" : "s",
                announce, plan.announcements().size() - announce, total);
        out.append(String.format(Locale.ROOT, "The full plan is %,d characters, too long to show here: one line per "
                + "service below, most flows moving first; the JSON plan has every detail.%n%n", fullLength));
        out.append(String.format(Locale.ROOT, "  %-24s %-22s %-14s %s%n", "service", "endpoint", "servers", "flows moving"));
        List<Plan.ServiceChange> services = plan.services().stream()
                .sorted(Comparator.comparingDouble((Plan.ServiceChange s) -> s.flows() == null ? -1 : s.flows().movedShare())
                        .reversed().thenComparing(Plan.ServiceChange::name))
                .toList();
        int shown = 0;
        for (Plan.ServiceChange s : services) {
            long added = s.servers().stream().filter(r -> r.action() == Plan.Action.ADD).count();
            long removed = s.servers().stream().filter(r -> r.action() == Plan.Action.REMOVE).count();
            long reweighted = s.servers().stream().filter(Plan.ServerChange::reweighted).count();
            String line = String.format(Locale.ROOT, "%s %-24s %-22s %-14s %s%n", mark(s.action()), s.name(),
                    s.endpoint(), "+" + added + " -" + removed + " ~" + reweighted,
                    s.flows() == null ? "-" : percent(s.flows().movedShare()));
            if (out.length() + line.length() + tail.length() + 80 > maxChars) break;
            out.append(line);
            shown++;
        }
        if (shown < services.size()) {
            out.append(String.format(Locale.ROOT, "... and %,d more services (see the JSON plan)%n", services.size() - shown));
        }
        return out.append(tail).toString();
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
        String mark = r.action() == Plan.Action.CHANGE && !r.reweighted() ? " " : mark(r.action());
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
