package io.vgw.reconciler.loop;

import java.time.Instant;
import java.util.List;

/**
 * What {@code vgw reconcile status} shows, as data (serialised snake_case for --output json and the control socket).
 *
 * @param conditions fetched, verified, valid, applied: each with when it last changed
 * @param history    the last attempts, newest first
 */
public record ReconcileStatus(String name, String url, String ref, String path, boolean suspended, String pinned,
                              Revision applied, Revision attempted, List<Condition> conditions, Attempt lastError,
                              Instant nextPoll, List<Attempt> history) {
    /** A revision and when it was applied or attempted; generation as the gateway read it back. */
    public record Revision(String commit, Instant at, long generation, String result) {}

    /** One condition: ok or not, a CamelCase reason for tools, a sentence for people. */
    public record Condition(String type, boolean ok, String reason, String message, Instant since) {}

    /**
     * One reconcile.
     *
     * @param step     the failing step (null when none failed)
     * @param problems the config's problems, file:line:column: field: message
     */
    public record Attempt(String revision, String trigger, Instant started, long millis, Result result, String step,
                          String message, List<String> problems) {}

    public enum Result { APPLIED, RESTORED, UP_TO_DATE, FAILED, REFUSED, SKIPPED }
}
