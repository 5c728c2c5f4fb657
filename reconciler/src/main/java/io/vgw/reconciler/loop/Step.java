package io.vgw.reconciler.loop;

import java.util.Locale;

/** The steps of one reconcile, in the order they run; named in logs, status and metrics. */
public enum Step {
    /** Re-applying the last applied config from the state directory after the gateway lost it. */
    RESTORE,
    /** Reading what the gateway runs (GET /v1/config): the restore check and the plan's base, in one call. */
    LIVE,
    FETCH, RESOLVE, HISTORY, VERIFY, READ, VALIDATE, PLAN, GUARD, APPLY, READBACK, PERSIST,
    /** A failure outside any step (a bug): logged with its stack trace and shown in status. */
    INTERNAL;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
