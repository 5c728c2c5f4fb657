package io.vgw.config.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.schema.CoreSchema;

class YamlReaderTest {
    /** The shortcut for digits and addresses must tag every scalar as the 1.2 core schema does. */
    @Test
    void resolverTagsAsTheCoreSchema() {
        var core = new CoreSchema().getScalarResolver();
        List<String> values = List.of("", "0", "7", "00", "0080", "65537", "123456789012345678901234", "10.0.0.1",
                "198.18.0.1", "1.2.3", "1..2", "1.", "1.5", "0.5e3", ".5", "..5", "1e5", "1.e5", "+5", "-5", "-1.2.3",
                "0x1f", "0o17", "1_000", "1:2", "1.2.3.4.5", "10.0.0.1/24", "1 2", "١٢", ".inf", ".nan", "~", "null",
                "true", "False", "tcp", "s123", "<<", "${HOME}", "2s", "500ms", "1.2.x", "TRUE", "tRUE", "yes", "No", "on",
                "Null", "nULL", "NaN", "nan", "inf", "Infinity", "e5", "E", "x1", "address", "Z", "_a", "é", "ÿes");
        for (String v : values) {
            for (boolean implicit : new boolean[] {true, false}) {
                assertEquals(core.resolve(v, implicit), YamlReader.RESOLVER.resolve(v, implicit), "'" + v + "' implicit=" + implicit);
            }
        }
    }

    /**
     * Files are read without marks unless they have a problem: the tree must be the one the marked reading gives, and
     * the marks, found again on demand, the same. Every example file and the constructs the plain reading leaves to
     * the marked one (aliases, tags, merge keys, several documents, an empty one).
     */
    @Test
    void plainReadingGivesTheMarkedReadingsTrees() throws Exception {
        List<SourceFile> files = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(Path.of("../examples"))) {
            for (Path p : paths.filter(ConfigLoader::isConfigFile).toList()) {
                files.add(new SourceFile(p.toString(), Files.readString(p)));
            }
        }
        files.add(new SourceFile("anchors.yaml", "a: &x {b: 1}\nc: *x\n"));
        files.add(new SourceFile("tags.yaml", "a: !!str 5\nb: ! 7\n"));
        files.add(new SourceFile("merge.yaml", "a: {<<: {b: 1}, c: 2}\n"));
        files.add(new SourceFile("documents.yaml", "---\na: [1, 2.5, ~, true, 'x', \"y\", 0x1f]\n---\n---\nb: {c: [d, {e: f}]}\n"));
        files.add(new SourceFile("keys.yaml", "1: a\ntrue: b\nnull: c\n"));
        for (SourceFile file : files) {
            List<Problem> problems = new ArrayList<>();
            List<Document> plain = YamlReader.read(file, problems);
            List<Document> marked = YamlReader.marked(file, problems);
            assertEquals(List.of(), problems, file.path());
            assertEquals(marked.size(), plain.size(), file.path());
            for (int i = 0; i < plain.size(); i++) {
                assertEquals(marked.get(i).root(), plain.get(i).root(), file.path());
                assertEquals(marked.get(i).marks(), plain.get(i).marks(), file.path());
            }
        }
    }

    /**
     * The reading without snakeyaml must give snakeyaml's tree for every text it reads, and leave it every other text:
     * the example files, the constructs it must refuse, and 20,000 random edits of the examples (the edits an operator's
     * typo makes: a space, a dash, a colon, a bracket, a line break more or less).
     */
    @Test
    void simpleReadingGivesSnakeyamlsTreeOrGivesUp() throws Exception {
        List<String> texts = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(Path.of("../examples"))) {
            for (Path p : paths.filter(ConfigLoader::isConfigFile).sorted().toList()) texts.add(Files.readString(p));
        }
        for (String t : texts) {
            if (!t.contains("\n---")) assertNotNull(SimpleYaml.read(t), "the one-document examples are in the subset:\n" + t);
        }
        List<String> refused = List.of("a: 'x'\n", "a: &x 1\nb: *x\n", "a: !!str 5\n", "---\na: 1\n", "a: 1\n---\nb: 2\n",
                "a:\n", "a: 1\n  b: 2\n", "a: b\n  c\n", "a: [1,\n 2]\n", "a:\tb\n", "a: 1\r\n", "a: 1\na: 2\n",
                "a: x#y\n", "- a\n", "a: {b: 1, b: 2}\n", "a: -\n", "a: ...\n", "a: {b: }\n", "a: [b, ]\n", "a: b: c\n",
                "? a\n: b\n", "a: |\n  x\n", "a:  b  c\n", "a: - b\n", "a: {b}\n", "a: [b: c]\n", "%YAML 1.2\n---\na: 1\n",
                "a: é\n", "a: 1 # x\u0085b: 2\n", "\uFEFFa: 1\n", "<<: {b: 1}\n", "a:\n- - b\n", "a:\n  - \n", "a: {b: 1} x\n", "a: 1:2\n", "", "# only\n");
        for (String t : refused) assertNull(SimpleYaml.read(t), t);
        List<String> accepted = List.of("a: 1\nb:\n- x\n- {c: [1, 2.5, true, null, {}], d: []}\ne: f g\n",
                "  a:\n      b: -1\n      c: .5\n  d:\n    -   e: 1\n        f: [x, [y]]\n    - g\n",
                "# c\n\na: b   # c\n  # c\nc: {d: 0x1f, e: 0o17, f: 1_000, g: 10.0.0.1, h: 500ms, i: /x/y, j: .5e3}\n",
                "a: [ b , c ]\nb: { c: d }\n", "a:\n  - b: 1\n  - c: 2\n    d:\n    - 3\n");
        for (String t : accepted) assertNotNull(SimpleYaml.read(t), t);
        texts.addAll(accepted);
        List<String> edits = List.of(" ", "  ", "-", "- ", ":", ": ", "#", " #", "{", "}", "[", "]", ",", "\n", "\n  ", "a",
                "1", ".", "/", "'", "&", "*", "!", "|", ">", "?", "---\n", "\t");
        Random random = new Random(42);
        int read = 0;
        for (int n = 0; n < 20_000; n++) {
            StringBuilder t = new StringBuilder(texts.get(random.nextInt(texts.size())));
            for (int k = 1 + random.nextInt(2); k > 0; k--) {
                int at = random.nextInt(t.length() + 1);
                if (random.nextBoolean() && at < t.length()) t.delete(at, Math.min(t.length(), at + 1 + random.nextInt(3)));
                else t.insert(at, edits.get(random.nextInt(edits.size())));
            }
            texts.add(t.toString());
        }
        for (String t : texts) {
            var simple = SimpleYaml.read(t);
            if (simple == null) continue;
            read++;
            SourceFile file = new SourceFile("t.yaml", t);
            List<Problem> problems = new ArrayList<>();
            List<Document> marked = YamlReader.marked(file, problems);
            assertEquals(List.of(), problems, t);
            assertEquals(1, marked.size(), t);
            assertEquals(marked.getFirst().root(), simple, t);
        }
        System.out.println("simple reading: " + read + " of " + texts.size() + " texts");
        assertTrue(read > 150, "many small edits stay in the subset (so the comparison covers it): " + read);
    }

    /**
     * Random trees written in the subset's styles (block mappings at indents of 1 to 4 spaces, sequences at their key's
     * column or deeper, items that start a mapping, flow collections with and without spaces, comments, blank lines),
     * with the scalars whose readings differ between YAML's schemas (numbers in every base, booleans and nulls in
     * every case, addresses, durations, digits that overflow a long): every text snakeyaml reads, the reading without
     * it must give up on or read to the same tree. Unlike edits of the examples, nearly all of these are in the subset,
     * so the comparison covers its whole grammar.
     */
    @Test
    void generatedSubsetTextsReadAsSnakeyamlReadsThem() {
        Random random = new Random(7);
        int read = 0;
        int texts = 2_000;
        for (int n = 0; n < texts; n++) {
            String t = new SubsetWriter(random).document();
            SourceFile file = new SourceFile("t.yaml", t);
            List<Problem> problems = new ArrayList<>();
            List<Document> marked = YamlReader.marked(file, problems);
            assertEquals(List.of(), problems, "the generator writes valid YAML:\n" + t);
            var simple = SimpleYaml.read(t);
            if (simple == null) continue;
            read++;
            assertEquals(marked.getFirst().root(), simple, t);
        }
        assertTrue(read > texts * 3 / 4, "the generated texts are in the subset (so the comparison covers it): " + read);
    }

    /** Writes one random document of the subset. */
    private static final class SubsetWriter {
        private static final List<String> SCALARS = List.of("0", "1", "-1", "-0", "00", "012", "0080", "08", "0o17",
                "0o8", "0x1f", "0x1F", "0xg", "1_000", "65537", "9223372036854775807", "9223372036854775808",
                "123456789012345678901234", "1.5", ".5", "-.5", "1.", "0.0", "-0.0", "1e3", "1E3", "0.5e3", "1.e5", "1e400",
                "1..2", "1.2.3", "-1.2.3", "true", "True", "TRUE", "tRUE", "false", "FALSE", "null", "Null", "NULL", "nULL",
                "yes", "no", "on", "off", "y", "n", "NaN", "nan", "inf", "Infinity", "e5", "E", "x1", "_a", "a_b", "a-b",
                "a.b", "web", "lb1", "tcp", "10.0.0.1", "203.0.113.11", "10.0.0.1/24", "500ms", "2s", "1h30m", "/", "/x/y",
                "/healthz", "2001-12-14", "-5", "-x", "a-", "a.");
        private static final List<String> SPACED = List.of("f g", "a b c", "1 2", "true x", "null y", "10.0.0.1 x");
        private static final List<String> KEYS = List.of("a", "b", "c", "name", "port", "weight", "x-y", "a.b", "_k",
                "A", "/p", "1", "0x1f", "true", "null", "1.5", "e5");

        private final Random random;
        private final StringBuilder out = new StringBuilder();

        SubsetWriter(Random random) {
            this.random = random;
        }

        String document() {
            int indent = random.nextInt(3);
            mapping(indent, 0, null);
            return out.toString();
        }

        private <T> T pick(List<T> list) {
            return list.get(random.nextInt(list.size()));
        }

        private List<String> keys() {
            List<String> keys = new ArrayList<>(KEYS);
            Collections.shuffle(keys, random);
            return keys.subList(0, 1 + random.nextInt(4));
        }

        /** A block mapping with keys at this column; the first key after {@code lead} ("- ") when an item starts it. */
        private void mapping(int column, int depth, String lead) {
            boolean first = true;
            for (String key : keys()) {
                if (lead != null && first) out.append(lead);
                else {
                    filler(column);
                    out.append(" ".repeat(column));
                }
                first = false;
                out.append(key).append(':');
                value(column, depth);
            }
        }

        /** Whatever follows "key:": an inline value on its line, or a block on the next lines. */
        private void value(int column, int depth) {
            int kind = depth >= 4 ? 0 : random.nextInt(5);
            if (kind <= 1) {
                out.append(' ').append(random.nextInt(4) == 0 ? pick(SPACED) : pick(SCALARS));
                endLine();
            } else if (kind == 2) {
                out.append(' ').append(flow(depth + 1));
                endLine();
            } else if (kind == 3) {
                endLine();
                mapping(column + 1 + random.nextInt(4), depth + 1, null);
            } else {
                endLine();
                sequence(random.nextBoolean() ? column : column + 1 + random.nextInt(4), depth + 1);
            }
        }

        /** A block sequence with its dashes at this column. */
        private void sequence(int column, int depth) {
            for (int items = 1 + random.nextInt(3); items > 0; items--) {
                filler(column);
                String dash = " ".repeat(column) + "-" + " ".repeat(1 + random.nextInt(3));
                int kind = depth >= 4 ? 0 : random.nextInt(3);
                if (kind == 0) {
                    out.append(dash).append(random.nextInt(4) == 0 ? pick(SPACED) : pick(SCALARS));
                    endLine();
                } else if (kind == 1) {
                    out.append(dash).append(flow(depth + 1));
                    endLine();
                } else {
                    mapping(dash.length(), depth + 1, dash);
                }
            }
        }

        /** A flow collection on one line, with or without spaces inside. */
        private String flow(int depth) {
            String space = random.nextBoolean() ? " " : "";
            String comma = random.nextInt(4) == 0 ? " , " : ", ";
            boolean object = random.nextBoolean();
            List<String> parts = new ArrayList<>();
            for (String key : random.nextInt(6) == 0 ? List.<String>of() : keys()) {
                String v = depth < 4 && random.nextInt(4) == 0 ? flow(depth + 1) : pick(SCALARS);
                parts.add(object ? key + ": " + v : v);
            }
            if (parts.isEmpty()) return object ? "{}" : "[]";
            return (object ? "{" : "[") + space + String.join(comma, parts) + space + (object ? "}" : "]");
        }

        /** Sometimes a comment after the value, always the line's end. */
        private void endLine() {
            if (random.nextInt(5) == 0) out.append(" ".repeat(1 + random.nextInt(3))).append("# c: [x");
            else if (random.nextInt(8) == 0) out.append("  ");
            out.append('\n');
        }

        /** Sometimes a blank line or a comment line before the next line at this column. */
        private void filler(int column) {
            int kind = random.nextInt(10);
            if (kind == 0) out.append('\n');
            else if (kind == 1) out.append(" ".repeat(random.nextInt(column + 3))).append("# note\n");
        }
    }
}
