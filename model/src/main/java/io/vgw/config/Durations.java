package io.vgw.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as operators write them in YAML: 500ms, 2s, 15m, 1h (the schema enforces the same pattern). */
public final class Durations {
    private static final Pattern TEXT = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

    private Durations() {}

    public static Duration parse(String text) {
        Matcher m = TEXT.matcher(text);
        if (!m.matches()) throw new IllegalArgumentException("'" + text + "' is not a duration like 500ms, 2s, 15m or 1h");
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /** The shortest exact text for a duration: the inverse of {@link #parse}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) return ms / 3_600_000 + "h";
        if (ms % 60_000 == 0 && ms > 0) return ms / 60_000 + "m";
        if (ms % 1000 == 0) return ms / 1000 + "s";
        return ms + "ms";
    }
}
