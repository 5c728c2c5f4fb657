package io.vgw.config.load;

import java.util.Comparator;

/**
 * One thing wrong with the config, located so an editor can jump to it.
 *
 * @param field the field's path in the document, e.g. servers[1].weight; "yaml" for syntax errors
 */
public record Problem(String file, int line, int column, String field, String message) implements Comparable<Problem> {
    private static final Comparator<Problem> ORDER = Comparator.comparing(Problem::file)
            .thenComparingInt(Problem::line).thenComparingInt(Problem::column).thenComparing(Problem::field)
            .thenComparing(Problem::message);

    /** file:line:column: field.path: message */
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + field + ": " + message;
    }

    @Override
    public int compareTo(Problem o) {
        return ORDER.compare(this, o);
    }
}
