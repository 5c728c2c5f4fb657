package io.vgw.config.load;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The subset of YAML that config files are written in, read straight into a Jackson tree without snakeyaml: one
 * document whose root is a block mapping; block mappings and sequences indented with spaces (a sequence may sit at its
 * key's indent, an item may start a mapping: {@code - name: lb1}); flow mappings and sequences that close on their
 * line; plain scalars of letters, digits and {@code . _ / -} (with single-line spaces in block values); comments after
 * a space; printable ASCII only. Anything else (quotes, anchors, tags, tabs, CR, multi-line scalars, several
 * documents, empty values, duplicate keys, a {@code #} not after a space...) makes it give up (null), and the file is
 * read by snakeyaml, which then decides: so every file this reads, snakeyaml reads to the same tree (YamlReaderTest
 * compares the two).
 *
 * <p>Why: reading 10,000 service files with snakeyaml took two thirds of a big apply's loading, most of it while the
 * JIT had not compiled its scanner yet; this is one small loop over the characters.
 */
final class SimpleYaml {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /** Thrown to give up; no stack trace: it only means "let snakeyaml read it". */
    private static final class GiveUp extends RuntimeException {
        GiveUp() {
            super(null, null, false, false);
        }
    }

    private static final GiveUp GIVE_UP = new GiveUp();

    private final String text;
    /** Per content line (blank and comment lines dropped): where its content starts and ends, and its column. */
    private int[] starts;
    private int[] ends;
    private int[] columns;
    private int count;
    private int line;
    private int nodes;

    private SimpleYaml(String text) {
        this.text = text;
        int lines = 1;
        for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') lines++;
        starts = new int[lines];
        ends = new int[lines];
        columns = new int[lines];
    }

    /** The root mapping, or null when the text is not in the subset. */
    static JsonNode read(String text) {
        try {
            SimpleYaml y = new SimpleYaml(text);
            y.split();
            if (y.count == 0 || y.dash(0) || y.text.charAt(y.starts[0]) == '{') return null;
            JsonNode root = y.mapping(y.columns[0], 0);
            return y.line == y.count ? root : null;
        } catch (GiveUp | NumberFormatException e) {
            return null;
        }
    }

    /** Finds the content lines: indent (spaces only), comments cut, trailing spaces trimmed. */
    private void split() {
        int n = text.length();
        for (int from = 0; from < n; ) {
            int end = text.indexOf('\n', from);
            if (end < 0) end = n;
            int i = from;
            while (i < end && text.charAt(i) == ' ') i++;
            int stop = end;
            for (int j = i; j < end; j++) {
                char c = text.charAt(j);
                // printable ASCII only, comments too: a tab, a CR, and characters some readers take for line breaks
                // (U+0085, U+2028) are left to snakeyaml
                if (c < 0x20 || c > 0x7e) throw GIVE_UP;
                if (c == '#' && stop == end) { // the first: the comment starts here (the rest is still checked)
                    if (j > i && text.charAt(j - 1) != ' ') throw GIVE_UP; // part of a scalar in YAML
                    stop = j;
                }
            }
            while (stop > i && text.charAt(stop - 1) == ' ') stop--;
            if (stop > i) {
                char first = text.charAt(i);
                if (i == from && (first == '-' || first == '.') && text.startsWith(first == '-' ? "---" : "...", i)) {
                    throw GIVE_UP; // a document marker
                }
                starts[count] = i;
                ends[count] = stop;
                columns[count] = i - from;
                count++;
            }
            from = end + 1;
        }
    }

    private boolean dash(int l) {
        int s = starts[l];
        return text.charAt(s) == '-' && (s + 1 == ends[l] || text.charAt(s + 1) == ' ');
    }

    private void count(int depth) {
        if (++nodes > YamlReader.MAX_NODES || depth >= YamlReader.MAX_DEPTH) throw GIVE_UP;
    }

    /** A block mapping whose keys are at this column, from the current line. */
    private ObjectNode mapping(int column, int depth) {
        count(depth);
        ObjectNode object = JSON.objectNode();
        while (line < count && columns[line] == column) {
            if (dash(line)) throw GIVE_UP;
            int s = starts[line];
            int e = ends[line];
            int colon = s;
            while (colon < e && plain(text.charAt(colon))) colon++;
            if (colon == s || colon == e || text.charAt(colon) != ':' || !startsWord(text.charAt(s))) throw GIVE_UP;
            if (colon + 1 < e && text.charAt(colon + 1) != ' ') throw GIVE_UP;
            String key = text.substring(s, colon);
            if (object.has(key)) throw GIVE_UP;
            int value = colon + 1;
            while (value < e && text.charAt(value) == ' ') value++;
            if (value < e) {
                object.set(key, inline(value, e, depth + 1));
                line++;
            } else {
                line++;
                if (line < count && columns[line] > column) object.set(key, block(depth + 1));
                else if (line < count && columns[line] == column && dash(line)) object.set(key, sequence(column, depth + 1));
                else throw GIVE_UP; // an empty value
            }
        }
        if (line < count && columns[line] > column) throw GIVE_UP;
        return object;
    }

    /** The block node on the current line, at its column. */
    private JsonNode block(int depth) {
        return dash(line) ? sequence(columns[line], depth) : mapping(columns[line], depth);
    }

    /** A block sequence whose dashes are at this column, from the current line. */
    private ArrayNode sequence(int column, int depth) {
        count(depth);
        ArrayNode array = JSON.arrayNode();
        while (line < count && columns[line] == column && dash(line)) {
            int s = starts[line] + 1;
            int e = ends[line];
            while (s < e && text.charAt(s) == ' ') s++;
            if (s == e || text.charAt(s) == '-') throw GIVE_UP; // an empty item, or a sequence in a sequence
            if (entry(s, e)) { // "- key: ...": a mapping whose keys are at the item's column
                columns[line] += s - starts[line];
                starts[line] = s;
                array.add(mapping(columns[line], depth + 1));
            } else {
                array.add(inline(s, e, depth + 1));
                line++;
            }
        }
        if (line < count && columns[line] > column) throw GIVE_UP;
        return array;
    }

    /** Does the text from s start a block mapping entry ("key:" then a space or the end)? */
    private boolean entry(int s, int e) {
        if (!startsWord(text.charAt(s))) return false;
        int i = s;
        while (i < e && plain(text.charAt(i))) i++;
        return i < e && text.charAt(i) == ':' && (i + 1 == e || text.charAt(i + 1) == ' ');
    }

    /** A value on the rest of a line: a flow collection or a plain scalar (which may hold single spaces). */
    private JsonNode inline(int s, int e, int depth) {
        char first = text.charAt(s);
        if (first == '{' || first == '[') {
            int[] at = {s};
            JsonNode node = flow(at, e, depth);
            if (at[0] != e) throw GIVE_UP;
            return node;
        }
        for (int i = s; i < e; i++) {
            char c = text.charAt(i);
            if (!plain(c) && !(c == ' ' && text.charAt(i - 1) != ' ')) throw GIVE_UP;
        }
        return scalar(s, e, depth);
    }

    /** A flow node at at[0] (moved past it and any spaces after it). */
    private JsonNode flow(int[] at, int e, int depth) {
        int i = at[0];
        char open = text.charAt(i);
        if (open != '{' && open != '[') {
            int s = i;
            while (i < e && plain(text.charAt(i))) i++;
            if (i == s) throw GIVE_UP;
            at[0] = spaces(i, e);
            return scalar(s, i, depth);
        }
        count(depth);
        char close = open == '{' ? '}' : ']';
        ObjectNode object = open == '{' ? JSON.objectNode() : null;
        ArrayNode array = open == '[' ? JSON.arrayNode() : null;
        i = spaces(i + 1, e);
        if (i < e && text.charAt(i) == close) {
            at[0] = spaces(i + 1, e);
            return open == '{' ? object : array;
        }
        while (true) {
            if (object != null) {
                int s = i;
                while (i < e && plain(text.charAt(i))) i++;
                if (i == s || !startsWord(text.charAt(s)) || i + 1 >= e || text.charAt(i) != ':' || text.charAt(i + 1) != ' ') {
                    throw GIVE_UP;
                }
                String key = text.substring(s, i);
                if (object.has(key)) throw GIVE_UP;
                at[0] = spaces(i + 1, e);
                object.set(key, flow(at, e, depth + 1));
            } else {
                at[0] = i;
                array.add(flow(at, e, depth + 1));
            }
            i = at[0];
            if (i >= e) throw GIVE_UP; // not closed on this line
            char c = text.charAt(i);
            if (c == close) {
                at[0] = spaces(i + 1, e);
                return object != null ? object : array;
            }
            if (c != ',') throw GIVE_UP;
            i = spaces(i + 1, e);
            if (i >= e || text.charAt(i) == close) throw GIVE_UP;
        }
    }

    private int spaces(int i, int e) {
        while (i < e && text.charAt(i) == ' ') i++;
        return i;
    }

    /** A plain scalar's value by the same rules (and resolver) as snakeyaml's reading. */
    private JsonNode scalar(int s, int e, int depth) {
        char first = text.charAt(s);
        // '-' and '.' start a plain scalar only before a digit here (not "-", "--x", "...", ".inf")
        if (!startsWord(first) && !((first == '-' || first == '.') && s + 1 < e && digit(text.charAt(s + 1)))) {
            throw GIVE_UP;
        }
        count(depth);
        String value = text.substring(s, e);
        return YamlReader.scalar(value, YamlReader.RESOLVER.resolve(value, true));
    }

    private static boolean startsWord(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || digit(c) || c == '_' || c == '/';
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean plain(char c) {
        return startsWord(c) || c == '.' || c == '-';
    }
}
