package io.vgw.health;

/**
 * One probe's outcome.
 *
 * @param status         the HTTP status for L7OK and L7STS, else 0
 * @param durationNanos  from the probe's start (socket opened) to the verdict
 * @param reason         in words: "connection refused", "HTTP 503", "timeout after 500 ms (no connection)"
 */
public record Result(Code code, int status, long durationNanos, String reason) {
    public boolean ok() {
        return code.ok();
    }

    /** e.g. "L7STS 503 in 1.2 ms: HTTP 503" */
    @Override
    public String toString() {
        return code + (status != 0 ? " " + status : "") + " in " + String.format("%.1f ms", durationNanos / 1e6) + ": " + reason;
    }
}
