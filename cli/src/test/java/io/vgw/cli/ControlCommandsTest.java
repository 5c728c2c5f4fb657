package io.vgw.cli;

import static io.vgw.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.api.Status;
import io.vgw.config.Config;
import io.vgw.config.load.SourceFile;
import io.vgw.gateway.control.ControlServer;
import io.vgw.gateway.control.GatewayControl;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** vgw apply, vgw status and the checks vgw gateway makes before it touches DPDK; no root needed. */
class ControlCommandsTest {
    @TempDir
    Path tmp;

    /** A gateway without a data plane: applies bump the generation; status shows what was applied. */
    static final class Fake implements GatewayControl {
        final List<String> revisions = new ArrayList<>();
        volatile String refuse;
        Config config;

        List<SourceFile> files = List.of();

        @Override
        public synchronized Applied apply(Config next, String revision, List<SourceFile> nextFiles) {
            if (refuse != null) return new Applied(false, revisions.size(), List.of(refuse));
            revisions.add(revision);
            config = next;
            files = nextFiles;
            return new Applied(true, revisions.size(), List.of());
        }

        @Override
        public synchronized Live live() {
            return new Live(config, revisions.isEmpty() ? "" : revisions.getLast(), revisions.size(), files);
        }

        @Override
        public synchronized Status status() {
            Map<String, Long> counters = new LinkedHashMap<>();
            counters.put("rx", 1234L);
            counters.put("tx", 1200L);
            counters.put("pass", 0L);
            counters.put("drop_no_service", 34L);
            List<Status.Service> services = new ArrayList<>();
            if (config != null) {
                for (var s : config.services()) {
                    List<Status.Server> servers = new ArrayList<>();
                    for (var r : s.servers()) {
                        boolean up = !r.label().endsWith(".12");
                        servers.add(new Status.Server(r.label(), r.weight(), up ? Status.Health.UP : Status.Health.DOWN, 0.4,
                                r.label().endsWith(".13") ? null : "02:00:00:00:00:0a", 1000, 1536000,
                                up ? new Status.Check("2026-11-29T20:00:00Z", "L7OK", 200, 1.2, "HTTP 200", r.label() + ":80")
                                        : new Status.Check("2026-11-29T20:01:00Z", "L7STS", 503, 2.5,
                                        "HTTP 503 (expected 200)", r.label() + ":80")));
                    }
                    services.add(new Status.Service(s.name(), s.endpoint(), false, false, servers));
                }
            }
            String revision = revisions.isEmpty() ? "" : revisions.getLast();
            return new Status("lb1", "100.64.1.2", revision, revisions.size(), 3725, "net_af_xdp0,iface=eth0", "af_xdp", null,
                    "02:00:00:00:00:01", 2, 12, 2097152, counters,
                    List.of(new Status.Task("next-hops", 3725, 2, "java.lang.StackOverflowError")), services);
        }
    }

    @Test
    void everyControlCommandHasHelpWithAnExample() {
        for (String command : new String[] {"gateway", "apply", "status"}) {
            CliTest.Run r = run(command, "--help");
            assertEquals(0, r.code());
            assertTrue(r.out().contains("Examples:\n  vgw " + command), r.out());
            assertTrue(r.out().contains("Exit codes:"), r.out());
        }
        assertEquals(Main.USAGE, run("apply").code());
        assertEquals(Main.USAGE, run("gateway").code());
    }

    @Test
    void applyAndStatusAgainstAControlServer() throws Exception {
        Fake gateway = new Fake();
        Path socket = tmp.resolve("run/lb1.sock");
        try (ControlServer server = ControlServer.start(socket, gateway, Duration.ofSeconds(10))) {
            CliTest.Run none = run("status", "--socket", server.socket().toString(), "--color", "never");
            assertEquals(0, none.code(), none.err());
            assertTrue(none.out().startsWith("gateway lb1 (100.64.1.2)  no config yet (vgw apply DIR sends one), up 1h02m\n"), none.out());

            CliTest.Run applied = run("apply", "--socket", socket.toString(), "--revision", "r1", CliTest.EXAMPLES.toString());
            assertEquals(0, applied.code(), applied.out() + applied.err());
            assertEquals("applied generation 1 (revision r1)\n", applied.out());
            assertEquals(List.of("r1"), gateway.revisions);

            CliTest.Run hashed = run("apply", "-s", socket.toString(), "-o", "json", CliTest.EXAMPLES.toString());
            assertEquals(0, hashed.code());
            JsonNode answer = JsonMapper.shared().readTree(hashed.out());
            assertTrue(answer.path("applied").asBoolean());
            assertEquals(2, answer.path("generation").asLong());
            assertTrue(answer.path("revision").asString().startsWith("sha256:"), hashed.out());

            CliTest.Run text = run("status", "--socket", socket.toString(), "--color", "never");
            assertEquals(0, text.code());
            String out = text.out();
            assertTrue(out.contains("gateway lb1 (100.64.1.2)  revision " + answer.path("revision").asString() + " (generation 2), up 1h02m\n"), out);
            assertTrue(out.contains("task next-hops: 2 of 3,725 runs failed, last: java.lang.StackOverflowError\n"), out);
            assertTrue(out.contains("port net_af_xdp0,iface=eth0 (af_xdp), mac 02:00:00:00:00:01, 2 workers\n"), out);
            assertTrue(out.contains("connections 12 of 2,097,152 (0.0%)\n"), out);
            assertTrue(out.contains("service web  192.0.2.10:80/tcp\n"
                    + "  SERVER        WEIGHT  HEALTH  SINCE     SHARE  NEXT HOP           PACKETS    BYTES  LAST CHECK\n"
                    + "  203.0.113.11     100  up      20:00:00  40.0%  02:00:00:00:00:0a    1,000  1.5 MiB  L7OK 1.2 ms: HTTP 200\n"
                    + "  203.0.113.12     100  down    20:01:00  40.0%  02:00:00:00:00:0a    1,000  1.5 MiB  L7STS 2.5 ms: HTTP 503 (expected 200)\n"
                    + "  203.0.113.13      50  up      20:00:00  40.0%  unresolved           1,000  1.5 MiB  L7OK 1.2 ms: HTTP 200\n"), out);
            assertTrue(out.contains("counters\n  rx                                   1,234\n  tx                                   1,200\n"
                    + "drops\n  drop_no_service                         34\n"), out);
            assertFalse(out.contains("pass"), "zero counters are left out");

            CliTest.Run json = run("status", "--socket", socket.toString(), "--output", "json");
            JsonNode status = JsonMapper.shared().readTree(json.out());
            assertEquals(4, status.path("services").size());
            assertEquals(2097152, status.path("connection_capacity").asLong());

            gateway.refuse = "cluster.yaml gives node lb1 the address 100.64.1.2 but this gateway runs with 100.64.9.9";
            CliTest.Run refused = run("apply", "--socket", socket.toString(), "--revision", "r3", CliTest.EXAMPLES.toString());
            assertEquals(1, refused.code());
            assertEquals("refused: " + gateway.refuse + "\nthe gateway refused " + CliTest.EXAMPLES + " and keeps generation 2\n", refused.out());
        }
    }

    @Test
    void dryRunAndDiffLivePlanAgainstWhatRunsAndForceGuardsRemovals() throws Exception {
        Fake gateway = new Fake();
        Path socket = tmp.resolve("run/lb1.sock");
        Path one = tmp.resolve("one");
        CliTest.copy(CliTest.EXAMPLES, one);
        Files.delete(one.resolve("services/api.yaml"));
        Files.delete(one.resolve("services/echo.yaml")); // echo and echo-udp: 3 of 4 services go
        try (ControlServer server = ControlServer.start(socket, gateway, Duration.ofSeconds(10))) {
            CliTest.Run fresh = run("apply", "--dry-run", "-s", socket.toString(), "--color", "never", CliTest.EXAMPLES.toString());
            assertEquals(2, fresh.code(), fresh.out() + fresh.err());
            assertTrue(fresh.out().startsWith("Plan: " + socket + " (no config yet) -> " + CliTest.EXAMPLES + "\n"), fresh.out());
            assertTrue(fresh.out().endsWith("Plan: 4 to add, 0 to change, 0 to remove.\n"), fresh.out());
            assertTrue(gateway.revisions.isEmpty(), "a dry run sends nothing");

            assertEquals(0, run("apply", "-s", socket.toString(), "-r", "r1", CliTest.EXAMPLES.toString()).code());
            CliTest.Run same = run("apply", "--dry-run", "-s", socket.toString(), CliTest.EXAMPLES.toString());
            assertEquals(0, same.code(), same.out());
            assertTrue(same.out().contains("No changes."), same.out());
            CliTest.Run again = run("apply", "-s", socket.toString(), "-r", "r1", CliTest.EXAMPLES.toString());
            assertEquals(0, again.code());
            assertEquals("unchanged: revision r1 already runs (generation 1)\n", again.out());

            CliTest.Run live = run("diff", "--live", socket.toString(), "--color", "never", one.toString());
            assertEquals(2, live.code(), live.out() + live.err());
            assertTrue(live.out().startsWith("Plan: " + socket + " (revision r1) -> " + one + "\n"), live.out());
            assertTrue(live.out().contains("- service api "), live.out());
            assertTrue(live.out().endsWith("Plan: 0 to add, 0 to change, 3 to remove.\n"), live.out());
            CliTest.Run json = run("diff", "--live", socket.toString(), "-o", "json", one.toString());
            assertEquals(3, JsonMapper.shared().readTree(json.out()).path("services").size(), json.out());

            String guard = "this config removes more than half of the services (3 of 4: api, echo, echo-udp); if that "
                    + "is intended, apply with force (vgw apply --force)";
            CliTest.Run dry = run("apply", "--dry-run", "-s", socket.toString(), "--color", "never", one.toString());
            assertEquals(2, dry.code());
            assertTrue(dry.out().endsWith("\nnote: the gateway would refuse this: " + guard + "\n"), dry.out());
            CliTest.Run refused = run("apply", "-s", socket.toString(), "-r", "r2", one.toString());
            assertEquals(1, refused.code());
            assertEquals("refused: " + guard + "\nthe gateway refused " + one + " and keeps generation 1\n", refused.out());
            CliTest.Run forced = run("apply", "-s", socket.toString(), "-r", "r2", "--force", one.toString());
            assertEquals(0, forced.code(), forced.out());
            assertEquals("applied generation 2 (revision r2)\n", forced.out());

            CliTest.Run forged = run("apply", "-s", socket.toString(), "-r", "r3\nINFO applied everything", one.toString());
            assertEquals(Main.USAGE, forged.code());
            assertEquals("error: --revision: revision has a line break at position 3; use printable ASCII (a Git commit id, "
                    + "a tag, a short name)\n", forged.err());
            assertEquals(List.of("r1", "r2"), gateway.revisions);
        }
    }

    @Test
    void anInvalidDirectoryIsRefusedByTheGatewayWithItsProblems() throws Exception {
        CliTest.copy(CliTest.EXAMPLES, tmp.resolve("config"));
        Path web = tmp.resolve("config/services/web.yaml");
        Files.writeString(web, Files.readString(web).replace("weight: 50", "weight: 70000"));
        Fake gateway = new Fake();
        try (ControlServer server = ControlServer.start(tmp.resolve("lb1.sock"), gateway, Duration.ofSeconds(10))) {
            String socket = server.socket().toString();
            assertEquals(0, run("apply", "--socket", socket, "--revision", "good", CliTest.EXAMPLES.toString()).code());
            CliTest.Run r = run("apply", "--socket", socket, tmp.resolve("config").toString());
            assertEquals(1, r.code());
            assertTrue(r.out().startsWith("services/web.yaml:20:"), r.out());
            assertTrue(r.out().endsWith(tmp.resolve("config") + ": 1 problem; the gateway keeps generation 1 (vgw validate "
                    + tmp.resolve("config") + " shows them without a gateway)\n"), r.out());
            CliTest.Run json = run("apply", "--socket", socket, "-o", "json", tmp.resolve("config").toString());
            assertEquals(1, json.code());
            JsonNode answer = JsonMapper.shared().readTree(json.out());
            assertEquals("servers[2].weight", answer.path("problems").path(0).path("field").asString());
            assertEquals(1, answer.path("generation").asLong());
            assertEquals(List.of("good"), gateway.revisions, "the live config stays");
        }
    }

    @Test
    void noGatewayToTalkToIsExplained() {
        Path socket = tmp.resolve("lb1.sock");
        String expected = "error: no gateway is listening on " + socket + " (is `vgw gateway` running? see its --config control.socket)\n";
        CliTest.Run status = run("status", "--socket", socket.toString());
        assertEquals(1, status.code());
        assertEquals(expected, status.err());
        CliTest.Run apply = run("apply", "--socket", socket.toString(), CliTest.EXAMPLES.toString());
        assertEquals(1, apply.code());
        assertEquals(expected, apply.err());
    }

    @Test
    void withoutSocketTheOnlyOneInTheRunFolderIsUsed() throws Exception {
        IOException none = assertThrows(IOException.class, () -> SocketOption.find(tmp));
        assertEquals("no gateway socket in " + tmp + ": is `vgw gateway` running? If its control.socket is elsewhere, "
                + "give it with --socket PATH", none.getMessage());
        Files.writeString(tmp.resolve("notes.txt"), "not a socket");
        try (ServerSocketChannel a = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             ServerSocketChannel b = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            a.bind(UnixDomainSocketAddress.of(tmp.resolve("lb1.sock")));
            assertEquals(tmp.resolve("lb1.sock"), SocketOption.find(tmp));
            b.bind(UnixDomainSocketAddress.of(tmp.resolve("lb2.sock")));
            IOException several = assertThrows(IOException.class, () -> SocketOption.find(tmp));
            assertEquals("several gateway sockets in " + tmp + " (lb1.sock, lb2.sock); choose one with --socket PATH", several.getMessage());
        }
    }

    @Test
    void theDaemonRefusesToStartWithAnInvalidConfigOrSettings() throws Exception {
        Path config = tmp.resolve("config");
        CliTest.copy(CliTest.EXAMPLES, config);
        Path web = config.resolve("services/web.yaml");
        Files.writeString(web, Files.readString(web).replace("weight: 50", "weight: 70000"));
        Path settings = tmp.resolve("gateway.yaml");
        Files.writeString(settings, """
                gateway: lb1
                address: 100.64.1.2
                config: config
                port: {device: net_null_never_started}
                control: {socket: run/lb1.sock}
                """);
        CliTest.Run r = run("gateway", "--config", settings.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("services/web.yaml:20:"), r.err());
        assertTrue(r.err().contains("the gateway does not start with an invalid config"), r.err());
        assertFalse(Files.exists(tmp.resolve("run")), "nothing was started");

        Path socket = tmp.resolve("run/lb1.sock");
        Files.writeString(settings, Files.readString(settings).replace("config: config\n", ""));
        try (ControlServer other = ControlServer.start(socket, new Fake(), Duration.ofSeconds(10))) {
            CliTest.Run taken = run("gateway", "--config", settings.toString());
            assertEquals(1, taken.code());
            assertEquals("error: another process (a running gateway?) answers on " + other.socket()
                    + "; stop it first, or give this gateway another control.socket\n", taken.err());
        }

        Files.writeString(settings, "gateway: lb1\naddress: 100.64.1.2\nport: {device: x, queues: 0}\n");
        CliTest.Run bad = run("gateway", "--config", settings.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith(settings + ":3:"), bad.err());
        assertTrue(bad.err().contains("port.queues"), bad.err());
    }
}
