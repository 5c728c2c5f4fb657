package io.vgw.frr;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The FRR templates (resources next to this class, readable on their own): {@code {{name}}} is replaced by a value;
 * lines between {@code {{#name}}} and {@code {{/name}}} (each on a line of its own) are kept once when the value is
 * true or any other non-null value, once per element when it is a list of maps (each map's keys then usable inside),
 * and dropped when it is absent, false or an empty list. A name without a value is an error, never an empty string.
 */
final class Template {
    private static final Pattern VAR = Pattern.compile("\\{\\{([a-z_]+)}}");
    private static final Pattern OPEN = Pattern.compile("\\{\\{#([a-z_]+)}}");

    private final List<String> lines;

    private Template(List<String> lines) {
        this.lines = lines;
    }

    static Template resource(String name) {
        try (InputStream in = Template.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("template " + name + " is missing from the jar");
            return new Template(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Template of(String text) {
        return new Template(text.lines().toList());
    }

    String render(Map<String, ?> values) {
        StringBuilder out = new StringBuilder();
        render(lines, values, out);
        return out.toString();
    }

    private static void render(List<String> lines, Map<String, ?> values, StringBuilder out) {
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher open = OPEN.matcher(line.strip());
            if (!open.matches()) {
                out.append(substitute(line, values)).append('\n');
                continue;
            }
            String name = open.group(1);
            int end = close(lines, i, name);
            List<String> block = lines.subList(i + 1, end);
            Object value = values.get(name);
            if (value instanceof List<?> list) {
                for (Object item : list) {
                    Map<String, Object> scope = new HashMap<>(values);
                    ((Map<?, ?>) item).forEach((k, v) -> scope.put((String) k, v));
                    render(block, scope, out);
                }
            } else if (value != null && !Boolean.FALSE.equals(value)) {
                render(block, values, out);
            }
            i = end;
        }
    }

    private static int close(List<String> lines, int from, String name) {
        int depth = 0;
        for (int j = from + 1; j < lines.size(); j++) {
            String s = lines.get(j).strip();
            if (s.equals("{{#" + name + "}}")) depth++;
            if (s.equals("{{/" + name + "}}") && depth-- == 0) return j;
        }
        throw new IllegalStateException("template block {{#" + name + "}} is not closed");
    }

    private static String substitute(String line, Map<String, ?> values) {
        Matcher m = VAR.matcher(line);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            Object value = values.get(m.group(1));
            if (value == null) throw new IllegalArgumentException("template value {{" + m.group(1) + "}} is not set");
            m.appendReplacement(out, Matcher.quoteReplacement(value.toString()));
        }
        m.appendTail(out);
        return out.toString();
    }
}
