package io.vgw.api;

import io.vgw.config.load.SourceFile;
import java.util.List;

/**
 * GET /v1/config: the config the gateway runs, as it was sent, so a client can plan against it
 * ({@code vgw apply --dry-run}, {@code vgw diff --live}). Before the first config: no files, revision "", generation 0.
 */
public record LiveConfig(String revision, long generation, List<SourceFile> files) {}
