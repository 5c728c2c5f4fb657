package io.vgw.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vgw.api.ApplyReply;
import io.vgw.api.ConfigRequest;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import io.vgw.reconciler.apply.ControlClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The daemon as an operator runs it, on a real DPDK port (needs root): {@code vgw gateway} on a hot-plugged
 * net_pcap vdev whose input holds three ARP frames, then {@code vgw apply} and {@code vgw status} through the CLI,
 * an invalid and a refused config through the control API, a Prometheus scrape, and a clean stop.
 */
class GatewayEndToEndTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final String DEVICE = "net_pcap_vgw_e2e";

    @TempDir
    Path tmp;

    @Test
    void gatewayApplyStatusMetricsAndStop() throws Exception {
        requireRoot();
        Path in = tmp.resolve("in.pcap");
        writePcap(in, List.of(arp(1), arp(2), arp(3)));
        Path socket = tmp.resolve("run/lb1.sock");
        String hugeDir = System.getProperty("vgw.test.hugeDir", System.getenv("VGW_TEST_HUGEDIR"));
        Path settings = tmp.resolve("gateway.yaml");
        Files.writeString(settings, """
                gateway: lb1
                address: 100.64.1.2
                eal: {lcores: "0", memory_mb: 512%s}
                port:
                  device: "%s,rx_pcap=%s,tx_pcap=%s"
                  next_hop: "02:00:00:00:00:fe"
                  descriptors: 512
                conn_table: {entries: 4096}
                max_servers: 64
                health: {enabled: false}
                control: {socket: run/lb1.sock}
                metrics: {listen: "127.0.0.1:0"}
                """.formatted(hugeDir == null || hugeDir.isBlank() ? "" : ", huge_dir: " + hugeDir, DEVICE, in, tmp.resolve("out.pcap")));

        var cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        GatewayCommand daemon = cli.getSubcommands().get("gateway").getCommand();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread main = Thread.ofPlatform().name("vgw-gateway-e2e").start(() -> exit.set(cli.execute("gateway", "--config", settings.toString())));
        try {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!daemon.ready.await(100, TimeUnit.MILLISECONDS)) {
                if (!main.isAlive()) fail("vgw gateway exited " + exit.get() + ":\n" + out + err);
                if (System.nanoTime() > deadline) fail("vgw gateway not ready within " + TIMEOUT + ":\n" + out + err);
            }
            var metricsAddress = daemon.daemon.metricsAddress().orElseThrow();
            Matcher ready = Pattern.compile("gateway lb1 ready: port " + DEVICE + " mac ([0-9a-f]{2}:){5}[0-9a-f]{2}, control "
                    + Pattern.quote(socket.toString()) + ", metrics 127\\.0\\.0\\.1:" + metricsAddress.getPort()
                    + ", no config yet \\(vgw apply sends one\\)\n").matcher(out.toString());
            assertTrue(ready.matches(), out.toString());
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)));

            // vgw apply examples/, as an operator types it
            CliTest.Run applied = CliTest.run("apply", "--socket", socket.toString(), "--revision", "e2e-1", CliTest.EXAMPLES.toString());
            assertEquals(0, applied.code(), applied.out() + applied.err());
            assertEquals("applied generation 1 (revision e2e-1)\n", applied.out());

            JsonNode status = statusJson(socket);
            assertEquals(4, status.path("services").size(), status.toString());
            assertEquals(1, status.path("generation").asLong());
            assertEquals("e2e-1", status.path("revision").asString());
            JsonNode web = service(status, "web");
            assertEquals("192.0.2.10:80/tcp", web.path("endpoint").asString());
            double shares = 0;
            for (JsonNode server : web.path("servers")) {
                assertEquals("02:00:00:00:00:fe", server.path("next_hop").asString());
                assertEquals("unchecked", server.path("health").asString(), "no health checker judges it yet");
                shares += server.path("share").asDouble();
            }
            assertEquals(1.0, shares, 1e-9);
            assertEquals(0.2, web.path("servers").path(2).path("share").asDouble(), 0.001, "weight 50 of 250");
            assertEquals(4096, status.path("connection_capacity").asLong());

            CliTest.Run text = CliTest.run("status", "--socket", socket.toString(), "--color", "never");
            assertEquals(0, text.code());
            assertTrue(text.out().startsWith("gateway lb1 (100.64.1.2)  revision e2e-1 (generation 1), up "), text.out());
            assertTrue(text.out().contains("service web  192.0.2.10:80/tcp\n"), text.out());

            // An invalid config through the API: located problems, the live state stays
            List<SourceFile> broken = new ArrayList<>();
            List<SourceFile> wrongAddress = new ArrayList<>();
            List<SourceFile> otherNodes = new ArrayList<>();
            for (SourceFile f : ConfigLoader.readDirectory(CliTest.EXAMPLES)) {
                broken.add(f.path().equals("services/web.yaml") ? new SourceFile(f.path(), f.text().replace("weight: 50", "weight: 70000")) : f);
                wrongAddress.add(f.path().equals("cluster.yaml") ? new SourceFile(f.path(), f.text().replace("address: 100.64.1.2", "address: 100.64.1.9")) : f);
                otherNodes.add(f.path().equals("cluster.yaml") ? new SourceFile(f.path(), f.text().replace("name: lb1", "name: lb9")) : f);
            }
            try (ControlClient client = new ControlClient(socket)) {
                ApplyReply invalid = client.apply(new ConfigRequest("e2e-broken", false, broken));
                assertFalse(invalid.applied());
                assertEquals(1, invalid.generation());
                assertEquals(1, invalid.problems().size(), invalid.problems().toString());
                assertTrue(invalid.problems().getFirst().toString().startsWith("services/web.yaml:20:"), invalid.problems().toString());
                assertEquals("servers[2].weight", invalid.problems().getFirst().field());

                ApplyReply refused = client.apply(new ConfigRequest("e2e-wrong-address", false, wrongAddress));
                assertFalse(refused.applied());
                assertEquals(1, refused.generation());
                assertEquals(List.of("cluster.yaml gives node lb1 the address 100.64.1.9 but this gateway runs with "
                        + "100.64.1.2 (gateway.yaml address); make them agree"), refused.refused());

                // before: a cluster without this node was applied as if it were this node's
                ApplyReply stranger = client.apply(new ConfigRequest("e2e-other-cluster", false, otherNodes));
                assertFalse(stranger.applied());
                assertEquals(List.of("cluster lab does not list this node lb1 (gateway.yaml gateway); add it to the "
                        + "cluster's nodes, or send this gateway its own cluster's config"), stranger.refused());
            }
            status = statusJson(socket);
            assertEquals(1, status.path("generation").asLong());
            assertEquals("e2e-1", status.path("revision").asString());

            // Prometheus: the three ARP frames were received (and left to the kernel), everything else is present at 0
            AtomicReference<Map<String, Double>> scraped = new AtomicReference<>();
            waitFor(() -> {
                scraped.set(scrape(metricsAddress.getPort()));
                return Double.valueOf(3).equals(scraped.get().get("vgw_port_rx_packets_total{port=\"" + DEVICE + "\"}"));
            });
            Map<String, Double> m = scraped.get();
            assertEquals(3, m.get("vgw_packets_total{event=\"rx\"}"), m.toString());
            assertEquals(3, m.get("vgw_packets_total{event=\"pass\"}"));
            assertEquals(0, m.get("vgw_drops_total{reason=\"no_service\"}"));
            assertEquals(1, m.get("vgw_config_generation"));
            assertEquals(4096, m.get("vgw_conn_capacity"));
            assertEquals(0, m.get("vgw_conn_entries"));
            assertEquals(0, m.get("vgw_conn_misses_total{kind=\"new\"}"));
            assertEquals(0, m.get("vgw_server_packets_total{server=\"203.0.113.11\",service=\"web\"}"));
            assertEquals(0, m.get("vgw_port_rx_missed_total{port=\"" + DEVICE + "\"}"));
        } finally {
            daemon.stop();
            main.join(TIMEOUT.toMillis());
        }
        assertFalse(main.isAlive(), "vgw gateway stopped");
        assertEquals(0, exit.get(), err.toString());
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the socket file is removed on stop");
    }

    static JsonNode statusJson(Path socket) {
        CliTest.Run r = CliTest.run("status", "--socket", socket.toString(), "--output", "json");
        assertEquals(0, r.code(), r.err());
        return JsonMapper.shared().readTree(r.out());
    }

    static JsonNode service(JsonNode status, String name) {
        for (JsonNode s : status.path("services")) if (s.path("name").asString().equals(name)) return s;
        throw new AssertionError("no service " + name + " in " + status);
    }

    /** Polls a condition that does I/O (so the loop is paced by it) until true or the timeout. */
    static void waitFor(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("condition not met within " + TIMEOUT);
            Thread.onSpinWait();
        }
    }

    static Map<String, Double> scrape(int port) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Map<String, Double> samples = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
            return samples;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** An ARP who-has 100.64.1.2 from 100.64.1.N, padded to 60 bytes: not IPv4, so the gateway passes it. */
    static byte[] arp(int n) {
        ByteBuffer b = ByteBuffer.allocate(60);
        b.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(new byte[] {2, 0, 0, 0, 0, (byte) n}).putShort((short) 0x0806);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        b.put(new byte[] {2, 0, 0, 0, 0, (byte) n}).put(new byte[] {100, 64, 1, (byte) n});
        b.put(new byte[6]).put(new byte[] {100, 64, 1, 2});
        return b.array();
    }

    /** A classic pcap file (microsecond timestamps, Ethernet). */
    static void writePcap(Path file, List<byte[]> frames) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        bytes.write(header.array());
        for (byte[] f : frames) {
            ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            record.putInt(0).putInt(0).putInt(f.length).putInt(f.length);
            bytes.write(record.array());
            bytes.write(f);
        }
        Files.write(file, bytes.toByteArray());
    }

    static void requireRoot() throws IOException {
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!Integer.valueOf(0).equals(uid)) {
            fail("this test needs root: vgw gateway starts the DPDK EAL in the test JVM; run the build as root, as CI does. uid " + uid);
        }
    }
}
