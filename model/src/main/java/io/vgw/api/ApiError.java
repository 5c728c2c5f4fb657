package io.vgw.api;

/** Any other error (400, 404, 405, 408, 413, 500, 507): {@code {"error": "what went wrong and what to do"}}. */
public record ApiError(String error) {}
