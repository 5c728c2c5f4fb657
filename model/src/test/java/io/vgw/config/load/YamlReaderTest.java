package io.vgw.config.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
}
