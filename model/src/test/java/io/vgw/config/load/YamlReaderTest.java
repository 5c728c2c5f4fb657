package io.vgw.config.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
}
