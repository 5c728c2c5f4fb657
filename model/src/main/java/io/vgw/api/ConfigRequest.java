package io.vgw.api;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import java.io.IOException;
import java.io.InputStream;
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
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;

/**
 * PUT /v1/config: the whole desired config as one change,
 * {@code {"revision": "abc123", "force": false, "files": [{"path": "services/web.yaml", "text": "..."}]}}.
 * Built by the client, read by the gateway with {@link #read}; the same checks hold on both sides.
 *
 * @param revision names the content (a Git commit id, a tag, ...): 1 to {@value #MAX_REVISION} printable ASCII
 *                 characters; null when the client left it to the gateway ({@link #contentRevision})
 * @param force    allow a config that removes every service, or more than half of them ({@link RemovalGuard})
 */
public record ConfigRequest(String revision, boolean force, List<SourceFile> files) {
    public static final int MAX_REVISION = 200;
    /** The whole body: far above a 10,000-service config (about 12 MB), far below what would strain the heap. */
    public static final int MAX_BODY = 32 << 20;
    public static final int MAX_PATH = 1024;

    /** A request that cannot be taken: the HTTP status (400, 413) and what is wrong, in words. */
    public static final class Invalid extends IllegalArgumentException {
        public final int status;

        public Invalid(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    public ConfigRequest {
        files = List.copyOf(files);
        if (revision != null) {
            String problem = revisionProblem(revision);
            if (problem != null) throw new Invalid(400, problem);
        }
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < files.size(); i++) {
            String path = files.get(i).path();
            if (path.isBlank()) throw new Invalid(400, "files[" + i + "].path is empty");
            if (path.length() > MAX_PATH || !printable(path)) {
                throw new Invalid(400, "files[" + i + "].path must be 1 to " + MAX_PATH + " printable characters");
            }
            if (!paths.add(path)) throw new Invalid(400, "files[" + i + "].path '" + path + "' appears twice");
            if (files.get(i).text().length() > ConfigLoader.MAX_FILE_CHARS) throw tooBig(i, path);
        }
    }

    /** The revision the gateway will call this config: the given one, else a hash of the files. */
    public String effectiveRevision() {
        return revision != null ? revision : contentRevision(files);
    }

    /** What is wrong with a revision string, or null when it is fine (revisions end up in logs and status lines). */
    public static String revisionProblem(String revision) {
        if (revision.isEmpty()) return "revision is empty; leave it out to have the gateway name the config by a hash of its files";
        if (revision.length() > MAX_REVISION) {
            return "revision is " + revision.length() + " characters long; at most " + MAX_REVISION
                    + " are allowed (a Git commit id, a tag, a short name)";
        }
        for (int i = 0; i < revision.length(); i++) {
            char c = revision.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return "revision has " + (c == '\n' || c == '\r' ? "a line break" : String.format("the character U+%04X", (int) c))
                        + " at position " + (i + 1) + "; use printable ASCII (a Git commit id, a tag, a short name)";
            }
        }
        return null;
    }

    private static boolean printable(String s) {
        return s.codePoints().noneMatch(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029);
    }

    private static Invalid tooBig(int index, String path) {
        return new Invalid(413, "files[" + index + "]" + (path == null ? "" : " (" + path + ")") + " is over "
                + ConfigLoader.MAX_FILE_CHARS / 1024 + " KiB; split it into several files");
    }

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(ConfigLoader.MAX_FILE_CHARS)
                    .maxNestingDepth(8)
                    .maxDocumentLength(MAX_BODY)
                    .maxNameLength(64)
                    .build())
            .build();

    private static final String SHAPE =
            "the body is {\"revision\": \"...\" (optional), \"force\": false (optional), \"files\": [{\"path\": \"...\", \"text\": \"...\"}]}";

    /**
     * Reads a request body with a streaming parser (the server hands it the aggregated buffer, itself bounded by
     * {@link #MAX_BODY}): a text over {@link ConfigLoader#MAX_FILE_CHARS} is refused (413) before it becomes a string,
     * as is a document over {@link #MAX_BODY} or nested deeper than a request can be.
     * Every other problem is a 400 that says what is wrong and where, in words (no parser internals).
     */
    public static ConfigRequest read(InputStream body) {
        String revision = null;
        boolean force = false;
        List<SourceFile> files = null;
        String where = "the body";
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new Invalid(400, "expected a JSON object: " + SHAPE);
            for (JsonToken t; (t = p.nextToken()) != JsonToken.END_OBJECT; ) {
                if (t != JsonToken.PROPERTY_NAME) throw new Invalid(400, "expected a field name in the body: " + SHAPE);
                String name = p.currentName();
                where = "'" + name + "'";
                JsonToken value = p.nextToken();
                switch (name) {
                    case "revision" -> {
                        if (value == JsonToken.VALUE_NULL) continue;
                        if (value != JsonToken.VALUE_STRING) throw new Invalid(400, "'revision' must be a string, e.g. a Git commit id");
                        revision = p.getString();
                    }
                    case "force" -> {
                        if (!value.isBoolean()) throw new Invalid(400, "'force' must be true or false");
                        force = value == JsonToken.VALUE_TRUE;
                    }
                    case "files" -> {
                        if (value != JsonToken.START_ARRAY) throw new Invalid(400, "'files' must be an array of {\"path\": \"services/web.yaml\", \"text\": \"...\"}");
                        files = new ArrayList<>();
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            where = "files[" + files.size() + "]";
                            files.add(file(p, files.size()));
                        }
                    }
                    default -> throw new Invalid(400, "unknown field '" + name + "': " + SHAPE);
                }
                where = "the body";
            }
            if (p.nextToken() != null) throw new Invalid(400, "more after the JSON object ends: send one object");
        } catch (StreamConstraintsException e) {
            throw where.startsWith("files[")
                    ? tooBig(Integer.parseInt(where.substring(6, where.length() - 1)), null)
                    : new Invalid(where.equals("'revision'") ? 400 : 413, where + " is too large or too deeply nested: " + SHAPE);
        } catch (JacksonException e) {
            throw new Invalid(400, "malformed JSON in " + where + describe(e) + ": " + SHAPE);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new Invalid(400, "could not read the body: " + e.getMessage());
        }
        if (files == null) throw new Invalid(400, "'files' is missing: " + SHAPE);
        return new ConfigRequest(revision, force, files);
    }

    /** One {"path": "...", "text": "..."}; the parser is on its START_OBJECT. */
    private static SourceFile file(JsonParser p, int index) throws IOException {
        String at = "files[" + index + "]";
        if (p.currentToken() != JsonToken.START_OBJECT) throw new Invalid(400, at + " must be {\"path\": string, \"text\": string}");
        String path = null;
        String text = null;
        for (JsonToken t; (t = p.nextToken()) != JsonToken.END_OBJECT; ) {
            String name = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING || !(name.equals("path") || name.equals("text"))) {
                throw new Invalid(400, at + " must be {\"path\": string, \"text\": string} and nothing else (found '" + name + "')");
            }
            if (name.equals("path")) {
                if (path != null) throw new Invalid(400, at + " has 'path' twice");
                path = p.getString();
            } else {
                if (text != null) throw new Invalid(400, at + " has 'text' twice");
                text = p.getString();
            }
        }
        if (path == null || text == null) throw new Invalid(400, at + " needs both 'path' and 'text'");
        return new SourceFile(path, text);
    }

    /** Where the JSON broke, in words: the end came early, or line and column of the offending character. */
    private static String describe(JacksonException e) {
        String message = String.valueOf(e.getOriginalMessage());
        boolean truncated = message.contains("end-of-input") || message.contains("Unexpected end");
        var location = e.getLocation();
        String at = location == null || location.getLineNr() < 0 ? ""
                : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
        return truncated ? ": the body ends too early (truncated?)" + at : ": unexpected character" + at;
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
