package io.vgw.config.load;

import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * One YAML document as a Jackson tree, with the line and column of every key and value kept so that schema and
 * semantic errors can point into the file.
 */
public final class Document {
    /** A 1-based position in the file. */
    record Mark(int line, int column) {}

    private final SourceFile file;
    private final JsonNode root;
    private final Mark start;
    private final Map<String, Mark> values;
    private final Map<String, Mark> keys;

    /** @param values the marks of values by field path, @param keys of keys (taken, not copied) */
    Document(SourceFile file, JsonNode root, Mark start, Map<String, Mark> values, Map<String, Mark> keys) {
        this.file = file;
        this.root = root;
        this.start = start;
        this.values = values;
        this.keys = keys;
    }

    /** The same document and marks over another tree (the tree without what the schema rejected). */
    Document withRoot(JsonNode other) {
        return new Document(file, other, start, values, keys);
    }

    public SourceFile file() {
        return file;
    }

    public JsonNode root() {
        return root;
    }

    /** A problem at the value of a field (or its closest marked ancestor). */
    Problem at(String path, String message) {
        return new Problem(file.path(), markOf(values, path).line(), markOf(values, path).column(), display(path), message);
    }

    /** A problem at the key of a field, e.g. an unknown key. */
    Problem atKey(String path, String message) {
        Mark mark = keys.containsKey(path) ? keys.get(path) : markOf(values, path);
        return new Problem(file.path(), mark.line(), mark.column(), display(path), message);
    }

    /** "line:column" of a field's value, for messages that point at another place. */
    String where(String path) {
        Mark m = markOf(values, path);
        return file.path() + ":" + m.line() + ":" + m.column();
    }

    private Mark markOf(Map<String, Mark> marks, String path) {
        for (String p = path; ; p = parent(p)) {
            Mark m = marks.get(p);
            if (m != null) return m;
            if (p.isEmpty()) return start;
        }
    }

    private static String display(String path) {
        return path.isEmpty() ? "(document)" : path;
    }

    static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static String child(String path, int index) {
        return path + "[" + index + "]";
    }

    private static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
