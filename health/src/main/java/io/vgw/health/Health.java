package io.vgw.health;

/**
 * What is known about a target now (an immutable snapshot, safe to read from any thread).
 *
 * @param sinceMillis  when the target entered {@code state} (epoch milliseconds)
 * @param last         the last probe's result, null before the first
 * @param streak       consecutive results agreeing with the last one (successes or failures)
 */
public record Health(State state, long sinceMillis, Result last, int streak) {}
