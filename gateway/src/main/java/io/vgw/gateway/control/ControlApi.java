package io.vgw.gateway.control;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.config.load.SourceFile;
import io.vgw.gateway.Gateway;
import io.vgw.gateway.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The control API's operations and JSON shapes, without HTTP (so the rules are testable on their own and the HTTP
 * handler stays a router). Every field is snake_case.
 *
 * <pre>
 * GET /v1/status  → 200 the {@link Status} record tree:
 *   {"node","address","revision","generation","uptime_seconds","device","mac","workers","connections",
 *    "connection_capacity","counters":{"rx":n,...},
 *    "services":[{"name","endpoint","servers":[{"address","weight","up","share","next_hop","packets","bytes"}]}]}
 *
 * PUT /v1/config  {"revision": "abc123" (optional), "files": [{"path": "services/web.yaml", "text": "..."}]}
 *   → 200 {"applied": true,  "revision": r, "generation": n}
 *   → 422 {"applied": false, "revision": r, "generation": live, "problems": [{"file","line","column","field","message"}]}
 *   → 409 {"applied": false, "revision": r, "generation": live, "problems": [{"message"}]}   (the gateway refused)
 *
 * any error (400, 404, 405, 413, 500) → {"error": "what went wrong and what to do"}
 * </pre>
 */
public final class ControlApi {
    /** snake_case field names for records; the same mapper writes every response. */
    public static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .build();

    private final GatewayControl gateway;

    public ControlApi(GatewayControl gateway) {
        this.gateway = gateway;
    }

    /** An HTTP status and the JSON body to send with it. */
    public record Reply(int status, JsonNode body) {
        static Reply error(int status, String message) {
            return new Reply(status, JSON.createObjectNode().put("error", message));
        }
    }

    /** A request the API cannot even read: answered 400 with the message. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }

    /** A parsed PUT /v1/config body. */
    record ConfigRequest(String revision, List<SourceFile> files) {}

    public Reply status() {
        return new Reply(200, JSON.valueToTree(gateway.status()));
    }

    /** PUT /v1/config: parse, validate (422), apply (200) or report the gateway's refusal (409). */
    public Reply applyConfig(byte[] body) {
        ConfigRequest request;
        try {
            request = parse(body);
        } catch (BadRequest e) {
            return Reply.error(400, e.getMessage());
        }
        ConfigLoader.Result loaded = ConfigLoader.load(request.revision(), request.files());
        if (!loaded.ok()) {
            ObjectNode reply = refusal(request.revision(), gateway.generation());
            ArrayNode problems = reply.putArray("problems");
            for (Problem p : loaded.problems()) {
                problems.addObject().put("file", p.file()).put("line", p.line()).put("column", p.column())
                        .put("field", p.field()).put("message", p.message());
            }
            return new Reply(422, reply);
        }
        Gateway.Applied applied = gateway.apply(loaded.config(), request.revision());
        if (applied.applied()) {
            return new Reply(200, JSON.createObjectNode().put("applied", true).put("revision", request.revision())
                    .put("generation", applied.generation()));
        }
        ObjectNode reply = refusal(request.revision(), applied.generation());
        ArrayNode problems = reply.putArray("problems");
        for (String p : applied.problems()) problems.addObject().put("message", p);
        return new Reply(409, reply);
    }

    private static ObjectNode refusal(String revision, long liveGeneration) {
        return JSON.createObjectNode().put("applied", false).put("revision", revision).put("generation", liveGeneration);
    }

    /** Reads {"revision": "...", "files": [{"path": "...", "text": "..."}]}, strictly: typos are errors, not ignored. */
    static ConfigRequest parse(byte[] body) throws BadRequest {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw new BadRequest("malformed JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr()));
        }
        if (root == null || !root.isObject()) {
            throw new BadRequest("expected a JSON object {\"revision\": \"...\", \"files\": [{\"path\": \"...\", \"text\": \"...\"}]}");
        }
        for (String name : root.propertyNames()) {
            if (!name.equals("revision") && !name.equals("files")) {
                throw new BadRequest("unknown field '" + name + "': the body has 'revision' (optional) and 'files'");
            }
        }
        JsonNode files = root.get("files");
        if (files == null || !files.isArray()) {
            throw new BadRequest("'files' must be an array of {\"path\": \"services/web.yaml\", \"text\": \"...\"}");
        }
        List<SourceFile> sources = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < files.size(); i++) {
            JsonNode f = files.get(i);
            if (!f.isObject() || !f.path("path").isString() || !f.path("text").isString() || f.size() != 2) {
                throw new BadRequest("files[" + i + "] must be {\"path\": string, \"text\": string} and nothing else");
            }
            String path = f.get("path").asString();
            if (path.isBlank()) throw new BadRequest("files[" + i + "].path is empty");
            if (!paths.add(path)) throw new BadRequest("files[" + i + "].path '" + path + "' appears twice");
            sources.add(new SourceFile(path, f.get("text").asString()));
        }
        JsonNode revision = root.get("revision");
        if (revision != null && !revision.isNull() && !revision.isString()) {
            throw new BadRequest("'revision' must be a string, e.g. a Git commit id");
        }
        String r = revision == null || revision.isNull() || revision.asString().isBlank()
                ? contentRevision(sources) : revision.asString();
        return new ConfigRequest(r, List.copyOf(sources));
    }

    /**
     * A revision for content that came without one: "sha256:" and 12 hex digits of a hash over the files sorted by
     * path, so the same files always get the same name (whatever their order).
     */
    public static String contentRevision(List<SourceFile> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (SourceFile f : files.stream().sorted(Comparator.comparing(SourceFile::path)).toList()) {
                sha.update(f.path().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(f.text().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return "sha256:" + HexFormat.of().formatHex(sha.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
