package io.vgw.health;

/** A target changed state because of {@code result}, at {@code atMillis} (epoch milliseconds). */
public record Transition(Target target, State from, State to, Result result, long atMillis) {}
