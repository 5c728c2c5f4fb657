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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

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
        private final JsonNode raw;
        private final Schema schema;

        Kind(String key, String file) {
            this.key = key;
            try (InputStream in = SchemaCheck.class.getResourceAsStream("/schemas/" + file)) {
                if (in == null) throw new IllegalStateException("schemas/" + file + " is missing from the classpath");
                this.raw = JsonMapper.shared().readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            this.schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(raw);
        }
    }

    private SchemaCheck() {}

    static void check(Document doc, Kind kind, List<Problem> problems) {
        for (Error error : kind.schema.validate(doc.root())) {
            String path = path(error.getInstanceLocation());
            String property = error.getProperty();
            String keyword = error.getKeyword();
            if ("additionalProperties".equals(keyword) && property != null) {
                problems.add(doc.atKey(Document.child(path, property),
                        "unknown key '" + property + "'; allowed here: " + allowedKeys(kind, error)));
            } else if ("required".equals(keyword) && property != null) {
                problems.add(doc.at(path, "missing required key '" + property + "'"));
            } else {
                problems.add(doc.at(path, message(error)));
            }
        }
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
        JsonNode node = kind.raw;
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
