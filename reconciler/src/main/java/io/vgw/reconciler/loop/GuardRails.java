package io.vgw.reconciler.loop;

import io.vgw.plan.Plan;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.eclipse.jgit.revwalk.RevCommit;

/**
 * Limits on what one revision may do to live traffic, lifted for one commit by a trailer in its message:
 * {@code Vgw-Allow-Move: 100%} (share of a service's flows that may move) and {@code Vgw-Allow-Remove: N}.
 */
final class GuardRails {
    static final String ALLOW_MOVE = "Vgw-Allow-Move";
    static final String ALLOW_REMOVE = "Vgw-Allow-Remove";

    private GuardRails() {}

    /** Why the plan is refused (empty: allowed). A malformed trailer is a refusal too: it says what was meant. */
    static List<String> check(Plan plan, double maxMoved, int maxRemoved, RevCommit commit) {
        List<String> refusals = new ArrayList<>();
        double moveLimit = maxMoved;
        int removeLimit = maxRemoved;
        for (String value : commit.getFooterLines(ALLOW_MOVE)) {
            String v = value.strip();
            if (!v.matches("(100|[0-9]{1,2})(\\.[0-9]+)?%")) {
                refusals.add("trailer '" + ALLOW_MOVE + ": " + v + "' is not a percentage like 100%");
            } else {
                moveLimit = Math.max(moveLimit, ReconcilerSettings.percent(v));
            }
        }
        for (String value : commit.getFooterLines(ALLOW_REMOVE)) {
            String v = value.strip();
            if (!v.matches("[0-9]{1,6}")) {
                refusals.add("trailer '" + ALLOW_REMOVE + ": " + v + "' is not a number of services");
            } else {
                removeLimit = Math.max(removeLimit, Integer.parseInt(v));
            }
        }
        for (Plan.ServiceChange s : plan.services()) {
            if (s.action() == Plan.Action.CHANGE && s.flows() != null && s.flows().movedShare() > moveLimit + 1e-9) {
                refusals.add(String.format(Locale.ROOT, "service %s would move %.1f%% of its flows to another server; "
                                + "the limit is %.1f%% (add the trailer '%s: %.0f%%' to the commit to allow it, or change "
                                + "the pool in smaller steps)", s.name(), 100 * s.flows().movedShare(), 100 * moveLimit,
                        ALLOW_MOVE, Math.ceil(100 * s.flows().movedShare())));
            }
        }
        long removed = plan.count(Plan.Action.REMOVE);
        if (removed > removeLimit) {
            refusals.add("the revision removes " + removed + " services at once; the limit is " + removeLimit
                    + " (add the trailer '" + ALLOW_REMOVE + ": " + removed + "' to the commit to allow it)");
        }
        return refusals;
    }
}
