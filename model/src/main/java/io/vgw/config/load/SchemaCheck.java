package io.vgw.config.load;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Validates documents against the JSON Schemas in schemas/ (2020-12), reporting at the offending key or value. */
final class SchemaCheck {
    /** The kinds of document, told apart by their first key. */
    enum Kind {
        SERVICE("service", "service.schema.json"), CLUSTER("cluster", "cluster.schema.json"),
        /** Node-local: a gateway daemon's settings, never part of a config repository. */
        GATEWAY("gateway", "gateway.schema.json"),
        /** Node-local: a reconciler daemon's settings (which repository and ref it follows). */
        RECONCILE("reconcile", "reconcile.schema.json");

        final String key;
        private final String file;
        /** Loaded on first use: compiling a schema costs start-up time, and a config may not hold every kind. */
        private JsonNode raw;
        private Schema schema;

        Kind(String key, String file) {
            this.key = key;
            this.file = file;
        }

        synchronized JsonNode raw() {
            if (raw == null) {
                try (InputStream in = SchemaCheck.class.getResourceAsStream("/schemas/" + file)) {
                    if (in == null) throw new IllegalStateException("schemas/" + file + " is missing from the classpath");
                    raw = JsonMapper.shared().readTree(in);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return raw;
        }

        synchronized Schema schema() {
            if (schema == null) schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(raw());
            return schema;
        }
    }

    private SchemaCheck() {}

    /**
     * Reports what the schema rejects. Returns the document the semantic rules can still check: the document itself
     * when valid; without the rejected values when every one was a map entry and the rest is valid (so a bad weight
     * does not hide a table size that is not prime); empty when nothing sound is left (a list item or a required
     * value rejected).
     */
    static Optional<Document> check(Document doc, Kind kind, List<Problem> problems) {
        List<Error> errors = kind.schema().validate(doc.root());
        if (errors.isEmpty()) return Optional.of(doc);
        ObjectNode rest = doc.root().isObject() ? (ObjectNode) doc.root().deepCopy() : null;
        for (Error error : errors) {
            String path = path(error.getInstanceLocation());
            String property = error.getProperty();
            String keyword = error.getKeyword();
            boolean unknownKey = "additionalProperties".equals(keyword) && property != null;
            if (rest != null && !remove(rest, error.getInstanceLocation(), unknownKey ? property : null)) rest = null;
            if (unknownKey) {
                problems.add(doc.atKey(Document.child(path, property),
                        "unknown key '" + property + "'; allowed here: " + allowedKeys(kind, error)));
            } else if ("required".equals(keyword) && property != null) {
                problems.add(doc.at(path, "missing required key '" + property + "'"));
            } else {
                problems.add(doc.at(path, message(error)));
            }
        }
        return rest != null && kind.schema().validate(rest).isEmpty() ? Optional.of(doc.withRoot(rest)) : Optional.empty();
    }

    /** Removes the map entry at a location (plus a key, for an unknown key); false if it is not a map entry. */
    private static boolean remove(ObjectNode root, NodePath location, String key) {
        int names = location.getNameCount();
        if (key == null && (names == 0 || !(location.getElement(names - 1) instanceof String))) return false;
        JsonNode parent = root;
        for (int i = 0; i < (key == null ? names - 1 : names); i++) {
            Object element = location.getElement(i);
            parent = element instanceof Integer index ? parent.path(index) : parent.path(element.toString());
        }
        if (parent instanceof ObjectNode object) object.remove(key != null ? key : location.getElement(names - 1).toString());
        return true;
    }

    /** networknt's message without its leading location (the Problem gives it), clearer for our patterns. */
    private static String message(Error error) {
        String location = error.getSchemaLocation().toString();
        if ("pattern".equals(error.getKeyword()) && location.contains("ipv4")) {
            return "'" + error.getInstanceNode().asString() + "' is not an IPv4 address (a.b.c.d)";
        }
        if ("pattern".equals(error.getKeyword()) && location.contains("duration")) {
            return "'" + error.getInstanceNode().asString() + "' is not a duration like 500ms, 2s, 15m or 1h";
        }
        String m = error.getMessage();
        String prefix = error.getInstanceLocation() + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    /** The property names declared beside the additionalProperties keyword that rejected a key. */
    private static String allowedKeys(Kind kind, Error error) {
        NodePath keywordAt = error.getSchemaLocation().getFragment();
        JsonNode node = kind.raw();
        for (int i = 0; i < keywordAt.getNameCount() - 1; i++) {
            Object element = keywordAt.getElement(i);
            node = element instanceof Integer index ? node.path(index) : node.path(element.toString());
        }
        List<String> names = node.path("properties").propertyNames().stream().sorted().toList();
        return names.isEmpty() ? "see the schema" : String.join(", ", names);
    }

    /** $.servers[1].weight (networknt) → servers[1].weight (ours). */
    static String path(NodePath location) {
        String path = "";
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            path = element instanceof Integer index ? Document.child(path, index) : Document.child(path, element.toString());
        }
        return path;
    }
}
