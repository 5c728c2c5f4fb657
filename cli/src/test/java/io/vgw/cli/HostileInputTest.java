package io.vgw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vgw.api.ApiJson;
import io.vgw.api.ConfigRequest;
import io.vgw.api.Status;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import io.vgw.reconciler.apply.ControlClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Hostile and huge input against a real daemon (needs root: DPDK in the test JVM), started once for the class as
 * an operator starts it: {@code vgw gateway} with an initial config, on a net_pcap vdev replaying TCP SYNs to the
 * web VIP forever. Every hostile request must get a clear answer while the gateway stays alive, keeps forwarding
 * and keeps its generation and revision.
 */
class HostileInputTest {
    static final String DEVICE = "net_pcap_vgw_hostile";

    @TempDir
    static Path tmp;

    static GatewayCommand daemon;
    static Thread main;
    static final AtomicInteger exit = new AtomicInteger(-1);
    static final StringWriter out = new StringWriter();
    static final StringWriter err = new StringWriter();
    static Path socket;
    static Status initial;

    @BeforeAll
    static void start() throws Exception {
        GatewayEndToEndTest.requireRoot();
        Path in = tmp.resolve("in.pcap");
        GatewayEndToEndTest.writePcap(in, List.of(syn(40000), syn(40001), syn(40002)));
        CliTest.copy(CliTest.EXAMPLES, tmp.resolve("config"));
        socket = tmp.resolve("run/lb1.sock");
        String hugeDir = System.getProperty("vgw.test.hugeDir", System.getenv("VGW_TEST_HUGEDIR"));
        Path settings = tmp.resolve("gateway.yaml");
        Files.writeString(settings, """
                gateway: lb1
                address: 100.64.1.2
                config: config
                eal: {lcores: "0", memory_mb: 512%s}
                port:
                  device: "%s,rx_pcap=%s,infinite_rx=1"
                  next_hop: "02:00:00:00:00:fe"
                  descriptors: 512
                conn_table: {entries: 4096}
                max_servers: 64
                health: {enabled: false}
                control: {socket: run/lb1.sock, request_timeout: 10s}
                """.formatted(hugeDir == null || hugeDir.isBlank() ? "" : ", huge_dir: " + hugeDir, DEVICE, in));
        var cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        daemon = cli.getSubcommands().get("gateway").getCommand();
        main = Thread.ofPlatform().name("vgw-gateway-hostile").start(() -> exit.set(cli.execute("gateway", "--config", settings.toString())));
        long deadline = System.nanoTime() + GatewayEndToEndTest.TIMEOUT.toNanos();
        while (!daemon.ready.await(100, TimeUnit.MILLISECONDS)) {
            if (!main.isAlive()) fail("vgw gateway exited " + exit.get() + ":\n" + out + err);
            if (System.nanoTime() > deadline) fail("vgw gateway not ready within " + GatewayEndToEndTest.TIMEOUT + ":\n" + out + err);
        }
        initial = status();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon == null) return;
        daemon.stop();
        main.join(GatewayEndToEndTest.TIMEOUT.toMillis());
        assertFalse(main.isAlive(), "vgw gateway stopped");
        assertEquals(0, exit.get(), err.toString());
    }

    static Status status() throws IOException {
        try (ControlClient client = new ControlClient(socket)) {
            return client.status();
        }
    }

    /** A TCP SYN from a client to the web VIP 192.0.2.10:80, addressed to any MAC (the pcap port takes all). */
    static byte[] syn(int sourcePort) {
        ByteBuffer f = ByteBuffer.allocate(54);
        f.put(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}).putShort((short) 0x0800);
        f.put((byte) 0x45).put((byte) 0).putShort((short) 40).putShort((short) 1).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0).put(new byte[] {(byte) 198, 51, 100, 7})
                .put(new byte[] {(byte) 192, 0, 2, 10});
        f.putShort((short) sourcePort).putShort((short) 80).putInt(1000).putInt(0).put((byte) 0x50).put((byte) 0x02)
                .putShort((short) 64240).putShort((short) 0).putShort((short) 0);
        byte[] b = f.array();
        put(b, 24, checksum(b, 14, 20, 0));
        long pseudo = 0xc633 + 0x6407 + 0xc000 + 0x020a + 6 + 20;
        put(b, 50, checksum(b, 34, 20, pseudo));
        return b;
    }

    private static int checksum(byte[] b, int from, int length, long sum) {
        for (int i = 0; i < length; i += 2) sum += (b[from + i] & 0xff) << 8 | (b[from + i + 1] & 0xff);
        while (sum >>> 16 != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) ~sum & 0xffff;
    }

    private static void put(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
    }

    record Http(int status, JsonNode body, String raw) {
        String error() {
            return body.path("error").asString();
        }
    }

    /** One request on a fresh connection: head, then {@code body} bytes written by another thread, and the answer. */
    static Http exchange(String head, byte[] body) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            Thread writer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
                    ByteBuffer b = ByteBuffer.wrap(body);
                    while (b.hasRemaining()) ch.write(b);
                } catch (IOException answeredEarly) {
                    // the gateway refused before reading it all, and closed
                }
            });
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(65536);
            try {
                while (ch.read(buffer) >= 0) {
                    answer.write(buffer.array(), 0, buffer.position());
                    buffer.clear();
                }
            } catch (SocketException reset) {
                if (answer.size() == 0) throw reset; // closed on unread bytes: what came before the reset counts
            }
            writer.join(60_000);
            String text = answer.toString(StandardCharsets.UTF_8);
            if (text.length() < 12) fail("no HTTP answer: '" + text + "'");
            JsonNode json = ApiJson.MAPPER.readTree(text.substring(text.indexOf("\r\n\r\n") + 4));
            return new Http(Integer.parseInt(text.substring(9, 12)), json, text);
        }
    }

    static Http put(byte[] body) throws Exception {
        return exchange("PUT /v1/config HTTP/1.1\r\nHost: vgw\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n", body);
    }

    static Http put(String revision, List<SourceFile> files) throws Exception {
        var root = ApiJson.MAPPER.createObjectNode();
        if (revision != null) root.put("revision", revision);
        var array = root.putArray("files");
        for (SourceFile f : files) array.addObject().put("path", f.path()).put("text", f.text());
        return put(ApiJson.MAPPER.writeValueAsBytes(root));
    }

    static List<SourceFile> examplesWith(SourceFile extra) {
        List<SourceFile> files = new ArrayList<>(ConfigLoader.readDirectory(CliTest.EXAMPLES));
        files.add(extra);
        return files;
    }

    /** The gateway answers, runs the config it started with, and forwards: tx grows and nothing is passed. */
    static void aliveAndUnchanged() throws Exception {
        Status before = status();
        assertEquals(initial.generation(), before.generation(), "generation unchanged");
        assertEquals(initial.revision(), before.revision(), "revision unchanged");
        long tx = before.counters().get("tx");
        GatewayEndToEndTest.waitFor(() -> {
            try {
                return status().counters().get("tx") > tx;
            } catch (IOException e) {
                throw new AssertionError("the gateway stopped answering", e);
            }
        });
        assertEquals(0, status().counters().get("pass"), "no SYN to the VIP was ever left to the kernel");
        assertTrue(main.isAlive());
    }

    @Test
    void theInitialConfigIsLiveBeforeTheFirstPacket() throws Exception {
        // before: the workers started first, so the first SYNs met an empty state and were passed to the kernel
        assertTrue(out.toString().startsWith("gateway lb1 ready: port " + DEVICE), out.toString());
        assertTrue(out.toString().contains(", generation 1 (revision sha256:"), out.toString());
        assertEquals(1, initial.generation());
        aliveAndUnchanged();
    }

    @Test
    void deepYamlIsAnsweredCleanly() throws Exception {
        // 40 KB of [[[[...]]]]: before, the parser's recursion ended in a StackOverflowError and the connection closed
        // with no answer and nothing logged
        Http h = put("deep", examplesWith(new SourceFile("services/deep.yaml", "[".repeat(20_000) + "]".repeat(20_000) + "\n")));
        assertEquals(422, h.status(), h.raw());
        String said = h.body().path("problems").path(0).toString();
        assertTrue(said.contains("deep.yaml") && said.contains("nested too deeply"), said);
        aliveAndUnchanged();
    }

    @Test
    void aliasBombsAreRefused() throws Exception {
        StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (char c = 'b'; c <= 'z'; c++) {
            bomb.append(c).append(": &").append(c).append(" [").append("*").append((char) (c - 1));
            bomb.append((", *" + (char) (c - 1)).repeat(8)).append("]\n");
        }
        Http h = put("bomb", examplesWith(new SourceFile("services/bomb.yaml", bomb.toString())));
        assertEquals(422, h.status(), h.raw());
        assertTrue(h.body().path("problems").path(0).path("message").asString().contains("alias"), h.raw());
        aliveAndUnchanged();
    }

    @Test
    void fiftyMegabyteBodiesAreRefusedBeforeTheyAreRead() throws Exception {
        byte[] body = new byte[50 << 20];
        java.util.Arrays.fill(body, (byte) ' ');
        Http h = put(body);
        assertEquals(413, h.status(), h.raw());
        assertTrue(h.error().startsWith("request body over 32 MiB; "), h.error());

        // under the body limit, but one file of 4 MiB: the parse refuses it without building it as a string
        String huge = "{\"revision\": \"big\", \"files\": [{\"path\": \"services/big.yaml\", \"text\": \"" + "#".repeat(4 << 20) + "\"}]}";
        Http file = put(huge.getBytes(StandardCharsets.US_ASCII));
        assertEquals(413, file.status(), file.raw());
        assertEquals("files[0] is over 1024 KiB; split it into several files", file.error());
        aliveAndUnchanged();
    }

    @Test
    void tenThousandServicesBeyondTheGatewaysLimitsAreRefusedClearly() throws Exception {
        List<SourceFile> files = new ArrayList<>(ConfigLoader.readDirectory(CliTest.EXAMPLES)); // none removed: no force needed
        for (int i = 0; i < 10_000; i++) {
            files.add(new SourceFile("services/s" + i + ".yaml", "service: s" + i + "\nvip: 192.0.2." + (1 + i / 1000)
                    + "\nport: " + (1000 + i % 1000) + "\nprotocol: tcp\nmaglev: {table_size: 101}\nhealth: {type: tcp}\nservers:\n"
                    + "  - {address: 203.0.113." + (1 + i % 200) + "}\n"));
        }
        Http h = put("ten-thousand", files);
        assertTrue(h.status() == 409 || h.status() == 422, h.raw());
        String why = h.status() == 409 ? h.body().path("refused").path(0).asString() : h.body().path("problems").path(0).toString();
        assertFalse(why.isBlank(), h.raw());
        assertTrue(why.contains("max_servers") || why.contains("memory") || why.contains("budget"), why);
        aliveAndUnchanged();
    }

    @Test
    void badRevisionsAreRefused() throws Exception {
        List<SourceFile> examples = ConfigLoader.readDirectory(CliTest.EXAMPLES);
        Http newline = put("v2\nINFO applied revision forged", examples);
        assertEquals(400, newline.status());
        assertTrue(newline.error().startsWith("revision has a line break at position 3"), newline.error());
        Http long100k = put("r".repeat(100_000), examples);
        assertEquals(400, long100k.status());
        assertTrue(long100k.error().startsWith("revision is 100000 characters long; at most 200"), long100k.error());

        CliTest.Run cli = CliTest.run("apply", "--socket", socket.toString(), "--revision", "a\u0007b", CliTest.EXAMPLES.toString());
        assertEquals(Main.USAGE, cli.code());
        assertTrue(cli.err().startsWith("error: --revision: revision has the character U+0007 at position 2"), cli.err());
        aliveAndUnchanged();
    }

    @Test
    void truncatedAndMalformedJsonIsDescribedInWords() throws Exception {
        byte[] whole = ApiJson.MAPPER.writeValueAsBytes(new ConfigRequest("t", false, ConfigLoader.readDirectory(CliTest.EXAMPLES)));
        Http truncated = put(java.util.Arrays.copyOf(whole, whole.length / 2));
        assertEquals(400, truncated.status());
        assertTrue(truncated.error().startsWith("malformed JSON in files[") && truncated.error().contains("the body ends too early (truncated?)"),
                truncated.error());
        for (String body : new String[] {"{\"files\": [{\"path\": \"a.yaml\", \"text\": nope}]}", "{'files': []}", "\u0000\u0001", "[1, 2]", "{\"files\": 3}"}) {
            Http h = put(body.getBytes(StandardCharsets.UTF_8));
            assertEquals(400, h.status(), body);
            assertFalse(h.error().contains("tools.jackson") || h.error().contains("Unexpected") || h.error().contains("token"), h.error());
        }
        aliveAndUnchanged();
    }

    @Test
    void aSlowClientIsCutOffWhileOthersAreServed() throws Exception {
        try (SocketChannel slow = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            slow.connect(UnixDomainSocketAddress.of(socket));
            slow.write(ByteBuffer.wrap("PUT /v1/config HTTP/1.1\r\nHost: vgw\r\nContent-Length: 100000\r\n\r\n{\"files\": ["
                    .getBytes(StandardCharsets.US_ASCII)));
            AtomicInteger trickled = new AtomicInteger();
            Thread trickle = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (int i = 0; i < 1000; i++) { // a byte every 50 ms for 50 s: never idle for long, never done
                        slow.write(ByteBuffer.wrap(new byte[] {' '}));
                        trickled.incrementAndGet();
                        LockSupport.parkNanos(50_000_000);
                    }
                } catch (IOException cutOff) {
                    // the gateway gave up on this client
                }
            });
            for (int i = 0; i < 3; i++) assertEquals("lb1", status().node(), "others are served meanwhile");
            trickle.join(60_000);
            assertTrue(trickled.get() < 1000, "cut off before its body ended: " + trickled + " bytes");
        }
        aliveAndUnchanged();
    }
}
