package io.vgw.config.load;

import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * One YAML document as a Jackson tree, with the line and column of every key and value so that schema and semantic
 * errors can point into the file. A valid file needs no positions: documents read without them find them on the first
 * problem, by reading their file again with positions ({@link YamlReader#marks}).
 */
public final class Document {
    /** A 1-based position in the file. */
    record Mark(int line, int column) {}

    /** Where the document starts, and the marks of values and of keys by field path. */
    record Marks(Mark start, Map<String, Mark> values, Map<String, Mark> keys) {
        static final Marks NONE = new Marks(new Mark(1, 1), Map.of(), Map.of());
    }

    private final SourceFile file;
    private final JsonNode root;
    /** Its place among the file's non-empty documents, to find its marks again. */
    private final int index;
    private Marks marks; // null until a problem needs them, when read without

    Document(SourceFile file, JsonNode root, int index, Marks marks) {
        this.file = file;
        this.root = root;
        this.index = index;
        this.marks = marks;
    }

    /** The same document and marks over another tree (the tree without what the schema rejected). */
    Document withRoot(JsonNode other) {
        return new Document(file, other, index, marks());
    }

    /** Read again on first use: documents may be shared by the threads of a load (ConfigLoader.Memo). */
    synchronized Marks marks() {
        if (marks == null) marks = YamlReader.marks(file, index);
        return marks;
    }

    public SourceFile file() {
        return file;
    }

    public JsonNode root() {
        return root;
    }

    /** A problem at the value of a field (or its closest marked ancestor). */
    Problem at(String path, String message) {
        Mark mark = markOf(marks().values(), path);
        return new Problem(file.path(), mark.line(), mark.column(), display(path), message);
    }

    /** A problem at the key of a field, e.g. an unknown key. */
    Problem atKey(String path, String message) {
        Mark key = marks().keys().get(path);
        Mark mark = key != null ? key : markOf(marks().values(), path);
        return new Problem(file.path(), mark.line(), mark.column(), display(path), message);
    }

    /** "line:column" of a field's value, for messages that point at another place. */
    String where(String path) {
        Mark m = markOf(marks().values(), path);
        return file.path() + ":" + m.line() + ":" + m.column();
    }

    private Mark markOf(Map<String, Mark> marks, String path) {
        for (String p = path; ; p = parent(p)) {
            Mark m = marks.get(p);
            if (m != null) return m;
            if (p.isEmpty()) return marks().start();
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
