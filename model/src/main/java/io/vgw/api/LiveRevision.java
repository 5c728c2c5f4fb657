package io.vgw.api;

/**
 * GET /v1/revision: only what the gateway runs, its revision and generation, without the counters, health and
 * connection count {@link Status} builds: what a reconciler's read-back and a watcher waiting for a revision ask,
 * often and while the gateway applies. Before the first config: revision "", generation 0.
 */
public record LiveRevision(String revision, long generation) {}
