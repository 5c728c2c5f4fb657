package io.vgw.config.load;

/** A config file's text and the path errors name (relative to the config root, '/'-separated). */
public record SourceFile(String path, String text) {}
