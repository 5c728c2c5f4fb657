package io.vgw.config.load;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.MappingStartEvent;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.events.SequenceStartEvent;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.Parser;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.CoreSchema;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads YAML (1.2 core schema) into Jackson trees with marks. Hostile input is bounded: the file size, the number of
 * aliases to collections, the nesting depth and the number of nodes after alias expansion (an alias "bomb" expands
 * exponentially); duplicate keys and non-scalar keys are errors, not silently merged.
 */
final class YamlReader {
    static final int MAX_FILE_CHARS = 1 << 20;
    static final int MAX_ALIASES = 50;
    static final int MAX_DEPTH = 32;
    static final int MAX_NODES = 200_000;

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    static final ScalarResolver RESOLVER = new Resolver();
    /**
     * One for every file (and thread): settings and resolvers are read-only once built. A fresh LoadSettings and
     * CoreSchema scalar resolver per file (each builds its table of implicit resolvers) cost a tenth of reading a
     * small file; problems name the file themselves, so the settings need no label.
     */
    private static final LoadSettings SETTINGS = settings(true);
    /** Without marks: a mark per token (and its Optional) was a third of the parser's garbage. */
    private static final LoadSettings PLAIN = settings(false);

    private static LoadSettings settings(boolean marks) {
        return LoadSettings.builder()
                .setSchema(new CoreSchema() {
                    @Override
                    public ScalarResolver getScalarResolver() {
                        return RESOLVER;
                    }
                })
                .setAllowDuplicateKeys(false)
                .setAllowRecursiveKeys(false)
                .setMaxAliasesForCollections(MAX_ALIASES)
                .setCodePointLimit(MAX_FILE_CHARS + 1)
                .setUseMarks(marks)
                .build();
    }

    private YamlReader() {}

    /** The documents of a file, or the problems that stopped reading it. */
    static List<Document> read(SourceFile file, List<Problem> problems) {
        if (file.text().length() > MAX_FILE_CHARS) {
            problems.add(new Problem(file.path(), 1, 1, "yaml",
                    "file is larger than " + MAX_FILE_CHARS / 1024 + " KiB; split it into several files"));
            return List.of();
        }
        int bad = file.text().indexOf('\uFFFD');
        if (bad >= 0) {
            String before = file.text().substring(0, bad);
            int line = (int) before.chars().filter(c -> c == '\n').count() + 1;
            problems.add(new Problem(file.path(), line, bad - before.lastIndexOf('\n'), "yaml",
                    "not UTF-8 text here; save the file as UTF-8"));
            return List.of();
        }
        JsonNode simple = SimpleYaml.read(file.text());
        if (simple != null) return List.of(new Document(file, simple, 0, null));
        List<Document> plain = Plain.read(file);
        return plain != null ? plain : marked(file, problems);
    }

    /** The marks of a file's index-th non-empty document, read again: only a problem needs them. */
    static Document.Marks marks(SourceFile file, int index) {
        List<Document> documents = marked(file, new ArrayList<>());
        return index < documents.size() ? documents.get(index).marks() : Document.Marks.NONE;
    }

    /** Through snakeyaml's composer with a mark per key and value: every file with a problem is read this way. */
    static List<Document> marked(SourceFile file, List<Problem> problems) {
        List<Document> documents = new ArrayList<>();
        try {
            Composer composer = new Composer(SETTINGS,
                    new DepthLimit(new ParserImpl(SETTINGS, new StreamReader(SETTINGS, file.text()))));
            while (composer.hasNext()) {
                Node node = composer.next();
                if (isEmpty(node)) continue;
                Converter converter = new Converter(file);
                JsonNode root = converter.convert(node, "", 0);
                if (converter.failure != null) {
                    problems.add(converter.failure);
                    continue;
                }
                documents.add(new Document(file, root, documents.size(),
                        new Document.Marks(mark(node), converter.marks, converter.keyMarks)));
            }
        } catch (DepthLimit.TooDeep e) {
            problems.add(new Problem(file.path(), 1, 1, "yaml", e.getMessage()));
        } catch (MarkedYamlEngineException e) {
            Document.Mark at = e.getProblemMark().or(e::getContextMark).map(YamlReader::mark).orElse(new Document.Mark(1, 1));
            problems.add(new Problem(file.path(), at.line(), at.column(), "yaml", syntaxMessage(e)));
        } catch (YamlEngineException e) {
            String message = e.getMessage().startsWith("Number of aliases")
                    ? "more than " + MAX_ALIASES + " aliases to lists or maps (an alias bomb?); write the values out"
                    : e.getMessage();
            problems.add(new Problem(file.path(), 1, 1, "yaml", message));
        }
        return documents;
    }

    private static String syntaxMessage(MarkedYamlEngineException e) {
        String problem = Optional.ofNullable(e.getProblem()).orElse(e.getMessage()).strip();
        if (problem.contains("\\t") || problem.contains("\t")) {
            return "a tab where YAML needs spaces (" + problem.replace("\t", "\\t") + "); indent with spaces";
        }
        String context = e.getContext();
        return context == null ? problem : context.strip() + ": " + problem;
    }

    private static boolean isEmpty(Node node) {
        return node instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }

    private static Document.Mark mark(Node node) {
        return node.getStartMark().map(YamlReader::mark).orElse(new Document.Mark(1, 1));
    }

    private static Document.Mark mark(org.snakeyaml.engine.v2.exceptions.Mark m) {
        return new Document.Mark(m.getLine() + 1, m.getColumn() + 1);
    }

    /**
     * The 1.2 core schema's tags with a shortcut for the plain scalars a config is mostly made of, which the core
     * resolver matches against its patterns one by one (a regex matcher per candidate): digits alone are an int,
     * digits with two or more dots (an IPv4 address) match none of the core patterns, so are a string, and so is a
     * word starting with a letter (every key) unless it is null, true or false. Anything else goes to the core
     * resolver.
     */
    static final class Resolver implements ScalarResolver {
        private static final ScalarResolver CORE = new CoreSchema().getScalarResolver();
        /** The only plain scalars starting with a letter that the core schema does not tag as a string. */
        private static final Set<String> WORDS =
                Set.of("null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE");

        @Override
        public Tag resolve(String value, Boolean implicit) {
            if (!implicit || value.isEmpty()) return CORE.resolve(value, implicit);
            char first = (char) (value.charAt(0) | 0x20);
            if (first >= 'a' && first <= 'z') return WORDS.contains(value) ? CORE.resolve(value, implicit) : Tag.STR;
            int dots = 0;
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '.' && i > 0) dots++;
                else if (c < '0' || c > '9') return CORE.resolve(value, implicit);
            }
            return dots == 0 ? Tag.INT : dots >= 2 ? Tag.STR : CORE.resolve(value, implicit);
        }
    }

    /**
     * The composer recurses once per nesting level, so a file of 3,000 '[' ends in a StackOverflowError before any
     * node exists. The parser underneath is a loop: counting its collection events stops the composer at the limit.
     */
    private static final class DepthLimit implements Parser {
        static final String MESSAGE = "nested too deeply (limit " + MAX_DEPTH + ")";

        static final class TooDeep extends YamlEngineException {
            TooDeep() {
                super(MESSAGE);
            }
        }

        private final Parser parser;
        private int depth;

        DepthLimit(Parser parser) {
            this.parser = parser;
        }

        @Override
        public Event next() {
            Event event = parser.next();
            switch (event.getEventId()) {
                case SequenceStart, MappingStart -> {
                    if (++depth > MAX_DEPTH) throw new TooDeep();
                }
                case SequenceEnd, MappingEnd -> depth--;
                default -> { }
            }
            return event;
        }

        @Override
        public boolean checkEvent(Event.ID id) {
            return parser.checkEvent(id);
        }

        @Override
        public Event peekEvent() {
            return parser.peekEvent();
        }

        @Override
        public boolean hasNext() {
            return parser.hasNext();
        }
    }

    /** A scalar's value by its tag; a number that does not parse throws NumberFormatException. */
    static JsonNode scalar(String v, Tag tag) {
        if (tag.equals(Tag.NULL)) return JSON.nullNode();
        if (tag.equals(Tag.BOOL)) return JSON.booleanNode(v.equalsIgnoreCase("true"));
        if (tag.equals(Tag.INT)) return parseInt(v);
        if (tag.equals(Tag.FLOAT)) return JSON.numberNode(parseFloat(v));
        return JSON.stringNode(v);
    }

    /** A long when it fits (ports, weights: nearly every number), else a BigInteger the schema reports as too big. */
    private static JsonNode parseInt(String v) {
        String t = v.startsWith("+") ? v.substring(1) : v;
        if (t.length() < 19 && !t.startsWith("0x") && !t.startsWith("0o")) return JSON.numberNode(Long.parseLong(t));
        return JSON.numberNode(parseBig(t));
    }

    private static BigInteger parseBig(String t) {
        if (t.startsWith("0x")) return new BigInteger(t.substring(2), 16);
        if (t.startsWith("0o")) return new BigInteger(t.substring(2), 8);
        return new BigInteger(t);
    }

    private static double parseFloat(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case ".inf", "+.inf" -> Double.POSITIVE_INFINITY;
            case "-.inf" -> Double.NEGATIVE_INFINITY;
            case ".nan" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }

    /**
     * The common case, cheaply: parser events straight into a Jackson tree, without marks and without snakeyaml's
     * node graph (more than half of reading's garbage: 10,000 service files made 1.13 GB, now 0.51 GB). It gives up
     * (null) on anything else: any error, anchors and aliases, explicit tags, merge keys, keys that are not plain
     * scalars, duplicate keys, the depth and node limits. The marked reading then reads (and reports) the file, so
     * the two agree on every file this one reads.
     */
    private static final class Plain {
        /** Thrown to give up; no stack trace: it is not an error, only "read it the other way". */
        private static final class GiveUp extends RuntimeException {
            GiveUp() {
                super(null, null, false, false);
            }
        }

        private static final GiveUp GIVE_UP = new GiveUp();

        private final Parser parser;
        private int nodes;

        private Plain(String text) {
            parser = new ParserImpl(PLAIN, new StreamReader(PLAIN, text));
        }

        static List<Document> read(SourceFile file) {
            try {
                Plain plain = new Plain(file.text());
                plain.parser.next(); // stream start
                List<Document> documents = new ArrayList<>();
                while (!plain.parser.checkEvent(Event.ID.StreamEnd)) {
                    plain.parser.next(); // document start
                    JsonNode root = plain.node(plain.parser.next(), 0);
                    plain.parser.next(); // document end
                    if (!root.isNull()) documents.add(new Document(file, root, documents.size(), null));
                }
                return documents;
            } catch (GiveUp | YamlEngineException | NumberFormatException e) {
                return null;
            }
        }

        /** A value whose first event is given, at a depth (conservatively below both limits of the marked reading). */
        private JsonNode node(Event event, int depth) {
            if (++nodes > MAX_NODES || depth >= MAX_DEPTH) throw GIVE_UP;
            switch (event) {
                case ScalarEvent s when plain(s) -> {
                    return scalar(s.getValue(), RESOLVER.resolve(s.getValue(), s.getImplicit().canOmitTagInPlainScalar()));
                }
                case SequenceStartEvent q when q.getAnchor().isEmpty() && q.getTag().isEmpty() -> {
                    ArrayNode array = JSON.arrayNode();
                    for (Event e = parser.next(); e.getEventId() != Event.ID.SequenceEnd; e = parser.next()) {
                        array.add(node(e, depth + 1));
                    }
                    return array;
                }
                case MappingStartEvent m when m.getAnchor().isEmpty() && m.getTag().isEmpty() -> {
                    ObjectNode object = JSON.objectNode();
                    for (Event e = parser.next(); e.getEventId() != Event.ID.MappingEnd; e = parser.next()) {
                        if (!(e instanceof ScalarEvent key) || !plain(key) || key.getValue().equals("<<")
                                || object.has(key.getValue())) {
                            throw GIVE_UP;
                        }
                        object.set(key.getValue(), node(parser.next(), depth + 1));
                    }
                    return object;
                }
                default -> throw GIVE_UP; // an alias, a tag, an anchor
            }
        }

        private static boolean plain(ScalarEvent s) {
            return s.getAnchor().isEmpty() && s.getTag().isEmpty();
        }
    }

    /** Node graph → Jackson tree, one document; records the first problem and stops descending. */
    private static final class Converter {
        final SourceFile file;
        final Map<String, Document.Mark> marks = new HashMap<>();
        final Map<String, Document.Mark> keyMarks = new HashMap<>();
        final Set<Node> open = Collections.newSetFromMap(new IdentityHashMap<>());
        Problem failure;
        int nodes;

        Converter(SourceFile file) {
            this.file = file;
        }

        JsonNode convert(Node node, String path, int depth) {
            if (failure != null) return JSON.nullNode();
            marks.putIfAbsent(path, mark(node));
            if (++nodes > MAX_NODES) {
                return fail(path, "more than " + MAX_NODES + " values after expanding aliases; is this an alias bomb?");
            }
            if (depth > MAX_DEPTH) return fail(path, DepthLimit.MESSAGE); // deeper through an alias
            if (!open.add(node)) return fail(path, "an alias that contains itself; YAML config cannot be recursive");
            try {
                return value(node, path, depth);
            } finally {
                open.remove(node);
            }
        }

        private JsonNode value(Node node, String path, int depth) {
            return switch (node) {
                case ScalarNode s -> scalar(s, path);
                case SequenceNode seq -> {
                    ArrayNode array = JSON.arrayNode();
                    List<Node> items = seq.getValue();
                    for (int i = 0; i < items.size(); i++) array.add(convert(items.get(i), Document.child(path, i), depth + 1));
                    yield array;
                }
                case MappingNode map -> {
                    ObjectNode object = JSON.objectNode();
                    for (NodeTuple tuple : map.getValue()) {
                        if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                            yield fail(path, "keys must be plain names, not lists or maps");
                        }
                        String child = Document.child(path, key.getValue());
                        if (object.has(key.getValue())) {
                            Document.Mark first = keyMarks.get(child);
                            yield failAt(mark(key), child, "duplicate key '" + key.getValue() + "' (first at line "
                                    + first.line() + "); YAML keys must be unique");
                        }
                        keyMarks.put(child, mark(key));
                        object.set(key.getValue(), convert(tuple.getValueNode(), child, depth + 1));
                    }
                    yield object;
                }
                default -> fail(path, "unsupported YAML node " + node.getNodeType());
            };
        }

        private JsonNode scalar(ScalarNode s, String path) {
            try {
                return YamlReader.scalar(s.getValue(), s.getTag());
            } catch (NumberFormatException e) {
                return fail(path, "'" + s.getValue() + "' is not a number");
            }
        }

        private JsonNode fail(String path, String message) {
            return failAt(marks.getOrDefault(path, new Document.Mark(1, 1)), path, message);
        }

        private JsonNode failAt(Document.Mark at, String path, String message) {
            if (failure == null) {
                failure = new Problem(file.path(), at.line(), at.column(), path.isEmpty() ? "(document)" : path, message);
            }
            return JSON.nullNode();
        }
    }
}
