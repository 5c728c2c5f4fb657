package io.vgw.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run of the ahead-of-time cache (JEP 483/514/515), made at package time (cli/pom.xml): the commands
 * operators and CI run most, so that their classes are loaded, linked and profiled before the first real run. The
 * launcher uses the cache when it is as new as the jar, and starts without it otherwise. Output is discarded.
 *
 * <p>Usage: java -XX:AOTCacheOutput=vgw.aot -cp vgw.jar io.vgw.cli.AotTraining EXAMPLES_DIR
 */
final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        String examples = args[0];
        Path scratch = Files.createTempDirectory("vgw-aot");
        try {
            String noGateway = scratch.resolve("nothing-listens.sock").toString();
            String[][] runs = {
                {"--help"},
                {"validate", examples},
                {"validate", "--output", "json", examples},
                {"diff", examples, examples},
                {"diff", "--output", "json", examples, examples},
                {"apply", "--socket", noGateway, examples},
                {"status", "--socket", noGateway},
            };
            for (String[] run : runs) {
                var cli = Main.commandLine(run[0]);
                cli.setOut(new PrintWriter(Writer.nullWriter()));
                cli.setErr(new PrintWriter(Writer.nullWriter()));
                cli.execute(run);
            }
        } finally {
            Files.deleteIfExists(scratch);
        }
    }
}
