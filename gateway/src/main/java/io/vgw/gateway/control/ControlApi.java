package io.vgw.gateway.control;

import io.vgw.api.ApiError;
import io.vgw.api.ApiJson;
import io.vgw.api.ApplyReply;
import io.vgw.api.ConfigRequest;
import io.vgw.api.LiveConfig;
import io.vgw.api.LiveRevision;
import io.vgw.api.RemovalGuard;
import io.vgw.config.Config;
import io.vgw.config.ServiceConfig;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The control API's operations without HTTP (so the rules are testable on their own and the HTTP handler stays a
 * router). The shapes are the shared records of {@code io.vgw.api}.
 */
public final class ControlApi {
    private final GatewayControl gateway;
    private final ApplyRehearsal rehearsal = new ApplyRehearsal();

    public ControlApi(GatewayControl gateway) {
        this.gateway = gateway;
    }

    ApplyRehearsal rehearsal() {
        return rehearsal;
    }

    /** Warms the apply path on the live config while the gateway is idle, when it has one ({@link ApplyRehearsal}). */
    public void warmUp() {
        GatewayControl.Live live = gateway.live();
        if (live.config() != null) rehearsal.startOnce(live.revision(), live.files());
    }

    /** An HTTP status and the record to send as JSON. */
    public record Reply(int status, Object body) {
        static Reply error(int status, String message) {
            return new Reply(status, new ApiError(message));
        }

        byte[] json() {
            return (ApiJson.MAPPER.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    public Reply status() {
        return new Reply(200, gateway.status());
    }

    /** GET /v1/revision: what runs, without building the status (a read-back after an apply, a watcher). */
    public Reply revision() {
        GatewayControl.Live live = gateway.live();
        return new Reply(200, new LiveRevision(live.revision(), live.generation()));
    }

    /** GET /v1/announce: the announcer's state, or 404 when the gateway announces nothing. */
    public Reply announcements() {
        return gateway.announcements().map(a -> new Reply(200, a))
                .orElseGet(() -> Reply.error(404, "this gateway announces nothing: add `announce:` to its gateway.yaml"));
    }

    /** POST /v1/drain: 202 when a drain started (the gateway stops when it ends), 409 when it cannot. */
    public Reply drain() {
        if (gateway.drain()) return new Reply(202, java.util.Map.of("draining", true));
        return Reply.error(409, gateway.announcements().isEmpty()
                ? "this gateway announces nothing, so it cannot drain: stop it (SIGTERM) instead"
                : "already draining");
    }

    /** GET /v1/config: the live config's files, revision and generation. */
    public Reply liveConfig() {
        GatewayControl.Live live = gateway.live();
        return new Reply(200, new LiveConfig(live.revision(), live.generation(), live.files()));
    }

    /**
     * PUT /v1/config: read (400/413), validate (422), guard (409), apply (200) or report the gateway's refusal (409).
     * The same revision with the same files as the live config is answered "applied, unchanged" and bumps nothing.
     */
    public Reply applyConfig(InputStream body) {
        ConfigRequest request;
        try {
            request = ConfigRequest.read(body);
        } catch (ConfigRequest.Invalid e) {
            return Reply.error(e.status, e.getMessage());
        }
        rehearsal.stop();
        String revision = request.effectiveRevision();
        GatewayControl.Live live = gateway.live();
        if (live.config() != null && live.revision().equals(revision)) {
            if (sorted(live.files()).equals(sorted(request.files()))) {
                return reply(ApplyReply.applied(revision, live.generation(), true));
            }
            return reply(ApplyReply.refused(revision, live.generation(), List.of("revision " + revision
                    + " already runs here with other files; give changed content a new revision (or none: the "
                    + "gateway then names it by a hash of its files)")));
        }
        ConfigLoader.Result loaded = ConfigLoader.load(revision, request.files());
        if (!loaded.ok()) return reply(ApplyReply.invalid(revision, live.generation(), loaded.problems()));
        if (!request.force() && live.config() != null) {
            String why = RemovalGuard.check(names(live.config()), names(loaded.config()));
            if (why != null) return reply(ApplyReply.refused(revision, live.generation(), List.of(why)));
        }
        GatewayControl.Applied applied = gateway.apply(loaded.config(), revision, request.files());
        if (applied.applied()) rehearsal.startOnce(revision, request.files());
        return reply(applied.applied()
                ? ApplyReply.applied(revision, applied.generation(), false)
                : ApplyReply.refused(revision, applied.generation(), applied.problems()));
    }

    private static Reply reply(ApplyReply r) {
        return new Reply(r.httpStatus(), r);
    }

    private static Set<String> names(Config c) {
        return c.services().stream().map(ServiceConfig::name).collect(Collectors.toSet());
    }

    private static List<SourceFile> sorted(List<SourceFile> files) {
        return files.stream().sorted(Comparator.comparing(SourceFile::path)).toList();
    }
}
