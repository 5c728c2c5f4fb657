package io.vgw.cli;

import picocli.CommandLine.Option;

/** --output and --color, shared by every command that prints a result. */
final class Output {
    enum Format { TEXT, JSON }

    enum Colour { AUTO, ALWAYS, NEVER }

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (for people, the default) or json (for tools).")
    Format format;

    @Option(names = "--color", paramLabel = "WHEN", defaultValue = "auto",
            description = "Colour text output: auto (on a terminal, unless NO_COLOR is set), always, never.")
    Colour colour;

    boolean json() {
        return format == Format.JSON;
    }

    boolean colour() {
        return switch (colour) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> System.getenv("NO_COLOR") == null && System.console() != null && System.console().isTerminal();
        };
    }
}
