package io.vgw.health;

import java.util.List;

/**
 * Receives the checker's output. Both methods run on the checker's one thread: they must be quick and never block
 * (hand anything slow, such as rebuilding tables, to another thread), or every probe starts late.
 */
public interface HealthListener {
    /** Every finished probe, with how late it started against its schedule (for metrics). */
    default void probed(Target target, Result result, long latenessNanos) {}

    /**
     * State changes, coalesced: changes closer together than the checker's quiet time arrive in one call (a rack
     * that dies is one call, not thousands), at most the checker's max delay after the first of them.
     */
    void changed(List<Transition> transitions);
}
