package io.vgw.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
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
            Path fake = scratch.resolve("training.sock");
            Thread gateway = fakeGateway(fake);
            String[][] runs = {
                {"--help"},
                {"validate", examples},
                {"validate", "--output", "json", examples},
                {"diff", examples, examples},
                {"diff", "--output", "json", examples, examples},
                {"apply", "--socket", noGateway, examples},
                {"apply", "--socket", fake.toString(), examples},
                {"apply", "--output", "json", "--socket", fake.toString(), examples},
                {"status", "--socket", noGateway},
            };
            for (String[] run : runs) {
                var cli = Main.commandLine(run[0]);
                cli.setOut(new PrintWriter(Writer.nullWriter()));
                cli.setErr(new PrintWriter(Writer.nullWriter()));
                cli.execute(run);
            }
            gateway.interrupt();
        } finally {
            Files.deleteIfExists(scratch.resolve("training.sock"));
            Files.deleteIfExists(scratch);
        }
    }

    /**
     * A stand-in gateway on a unix socket that refuses every config (a canned answer), so that the training run goes
     * through the control client and the answer's JSON as a real apply does.
     */
    private static Thread fakeGateway(Path socket) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        byte[] body = "{\"applied\": false, \"unchanged\": false, \"revision\": \"training\", \"generation\": 1, \"problems\": [], \"refused\": [\"training run\"]}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] answer = ("HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        return Thread.ofPlatform().daemon().start(() -> {
            try (server) {
                while (true) {
                    try (SocketChannel c = server.accept()) {
                        c.read(ByteBuffer.allocate(1 << 20));
                        c.write(new ByteBuffer[] {ByteBuffer.wrap(answer), ByteBuffer.wrap(body)});
                    }
                }
            } catch (IOException e) {
                // closed: the training run is over
            }
        });
    }
}
