package io.vgw.config.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Config;
import io.vgw.config.HealthCheck;
import io.vgw.config.Ipv4;
import io.vgw.config.ServiceConfig;
import io.vgw.config.TestConfigs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    static final String CLUSTER = TestConfigs.CLUSTER;
    static final String WEB = """
            service: web
            vip: 192.0.2.10
            port: 80
            protocol: tcp
            health: {type: http, path: /healthz}
            servers:
              - {address: 203.0.113.11, weight: 100}
              - {address: 203.0.113.12, weight: 50}
            """;

    static ConfigLoader.Result load(String... pathsAndTexts) {
        return TestConfigs.load(pathsAndTexts);
    }

    /** The single problem's text, failing with all of them otherwise. */
    static String only(ConfigLoader.Result r) {
        assertEquals(1, r.problems().size(), () -> "expected one problem, got: " + r.problems());
        return r.problems().getFirst().toString();
    }

    @Test
    void aDirectoryIsReadRecursivelySortedWithoutHiddenFoldersOrOtherFiles(@org.junit.jupiter.api.io.TempDir Path dir)
            throws java.io.IOException {
        java.nio.file.Files.createDirectories(dir.resolve("services/b"));
        java.nio.file.Files.createDirectories(dir.resolve(".git/objects"));
        java.nio.file.Files.writeString(dir.resolve("cluster.yaml"), CLUSTER);
        java.nio.file.Files.writeString(dir.resolve("services/b/web.yml"), WEB);
        java.nio.file.Files.writeString(dir.resolve("services/a.yaml"), "# empty\n");
        java.nio.file.Files.writeString(dir.resolve("services/.draft.yaml"), "not: read");
        java.nio.file.Files.writeString(dir.resolve("services/notes.txt"), "not: read");
        java.nio.file.Files.writeString(dir.resolve(".git/objects/x.yaml"), "not: read");
        java.nio.file.Files.createSymbolicLink(dir.resolve("services/link.yaml"), dir.resolve("services/a.yaml"));

        List<SourceFile> files = ConfigLoader.readDirectory(dir);

        assertEquals(List.of("cluster.yaml", "services/a.yaml", "services/b/web.yml", "services/link.yaml"),
                files.stream().map(SourceFile::path).toList());
        assertEquals(WEB, files.get(2).text());
        assertTrue(ConfigLoader.load(dir).ok());
    }

    @Test
    void examplesValidate() {
        ConfigLoader.Result r = ConfigLoader.load(Path.of("../examples"));
        assertTrue(r.ok(), () -> "examples/ must validate: " + r.problems());
        Config c = r.config();
        assertEquals(List.of("api", "echo", "echo-udp", "web"), c.services().stream().map(ServiceConfig::name).toList());
        assertEquals(2, c.cluster().nodes().size());
    }

    /** A diff's two sides through one memo: the shared file is read once, each side keeps its own problems. */
    @Test
    void aMemoReadsASharedFileOnceAndKeepsEachSidesProblems() {
        var memo = new ConfigLoader.Memo();
        String api = WEB.replace("service: web", "service: api").replace("192.0.2.10", "192.0.2.11");
        var before = ConfigLoader.load("before", List.of(new SourceFile("cluster.yaml", CLUSTER),
                new SourceFile("web.yaml", WEB), new SourceFile("api.yaml", api)), memo);
        var after = ConfigLoader.load("after", List.of(new SourceFile("cluster.yaml", CLUSTER),
                new SourceFile("web.yaml", WEB), new SourceFile("api.yaml", api.replace("weight: 50", "weight: 7"))), memo);
        assertTrue(before.ok() && after.ok(), () -> before.problems() + " " + after.problems());
        assertSame(before.config().service("web").orElseThrow(), after.config().service("web").orElseThrow(),
                "the unchanged file was read once");
        assertEquals(7, after.config().service("api").orElseThrow().servers().get(1).weight());
        assertEquals(50, before.config().service("api").orElseThrow().servers().get(1).weight());
        var broken = ConfigLoader.load("broken", List.of(new SourceFile("cluster.yaml", CLUSTER),
                new SourceFile("web.yaml", WEB), new SourceFile("api.yaml", api.replace("port: 80", "port: 99999"))), memo);
        assertTrue(!broken.ok() && broken.problems().getFirst().toString().startsWith("api.yaml:3:7: port"),
                broken.problems()::toString);
        assertTrue(ConfigLoader.load("again", List.of(new SourceFile("cluster.yaml", CLUSTER),
                new SourceFile("web.yaml", WEB)), memo).ok(), "a side's problems do not leak into another load");
    }

    /** A memo keeps only the files it is told to: the kept ones are not read again, the forgotten ones are. */
    @Test
    void aMemoForgetsWhatItIsNotToldToRetain() {
        var memo = new ConfigLoader.Memo();
        String api = WEB.replace("service: web", "service: api").replace("192.0.2.10", "192.0.2.11");
        List<SourceFile> files = List.of(new SourceFile("cluster.yaml", CLUSTER), new SourceFile("web.yaml", WEB),
                new SourceFile("api.yaml", api));
        var first = ConfigLoader.load("first", files, memo);
        memo.retain(files.subList(0, 2));
        var second = ConfigLoader.load("second", files, memo);
        assertTrue(first.ok() && second.ok(), () -> first.problems() + " " + second.problems());
        assertSame(first.config().service("web").orElseThrow(), second.config().service("web").orElseThrow(), "kept");
        assertNotSame(first.config().service("api").orElseThrow(), second.config().service("api").orElseThrow(), "read again");
    }

    @Test
    void defaultsAreFilledIn() {
        ConfigLoader.Result r = load("cluster.yaml", CLUSTER, "web.yaml", WEB);
        assertTrue(r.ok(), r.problems()::toString);
        ServiceConfig web = r.config().service("web").orElseThrow();
        assertEquals(65537, web.tableSize());
        assertEquals(Duration.ofSeconds(900), web.timeouts().tcp());
        assertEquals(HealthCheck.Type.HTTP, web.health().type());
        assertEquals(200, web.health().expect());
        assertEquals(Duration.ofSeconds(2), web.health().interval());
        assertFalse(web.health().reuseConnection(), "an http probe is a new connection unless reuse_connection says otherwise");
        assertEquals(Ipv4.parse("203.0.113.11"), web.servers().getFirst().address());
        assertTrue(r.config().cluster().bfd());
    }

    @Test
    void fileOrderDoesNotMatter() {
        String other = WEB.replace("web", "web2").replace("192.0.2.10", "192.0.2.11");
        Config a = load("cluster.yaml", CLUSTER, "a.yaml", WEB, "b.yaml", other).config();
        Config b = load("b.yaml", other, "cluster.yaml", CLUSTER, "a.yaml",
                WEB.replace("""
                          - {address: 203.0.113.11, weight: 100}
                          - {address: 203.0.113.12, weight: 50}
                        """, """
                          - {address: 203.0.113.12, weight: 50}
                          - {address: 203.0.113.11, weight: 100}
                        """)).config();
        assertEquals(a, b);
    }

    @Test
    void unknownKeyNamesTheKeyAndWhatIsAllowed() {
        String text = WEB.replace("  - {address: 203.0.113.12, weight: 50}", "  - {address: 203.0.113.12, wieght: 50}");
        assertEquals("web.yaml:8:29: servers[1].wieght: unknown key 'wieght'; allowed here: address, port, weight",
                only(load("cluster.yaml", CLUSTER, "web.yaml", text)));
    }

    @Test
    void outOfRangeWeightPointsAtTheValue() {
        String text = WEB.replace("weight: 50", "weight: 70000");
        assertEquals("web.yaml:8:37: servers[1].weight: must have a maximum value of 65535",
                only(load("cluster.yaml", CLUSTER, "web.yaml", text)));
    }

    @Test
    void missingRequiredKey() {
        String text = WEB.replace("protocol: tcp\n", "");
        assertEquals("web.yaml:1:1: (document): missing required key 'protocol'",
                only(load("cluster.yaml", CLUSTER, "web.yaml", text)));
    }

    @Test
    void badAddress() {
        assertEquals("web.yaml:2:6: vip: '192.0.2.300' is not an IPv4 address (a.b.c.d)",
                only(load("cluster.yaml", CLUSTER, "web.yaml", WEB.replace("192.0.2.10", "192.0.2.300"))));
        assertEquals("web.yaml:7:15: servers[0].address: 127.0.0.1 cannot be used: 127.0.0.0/8 is loopback",
                only(load("cluster.yaml", CLUSTER, "web.yaml", WEB.replace("203.0.113.11", "127.0.0.1"))));
    }

    @Test
    void duplicateServerInAPool() {
        String text = WEB.replace("203.0.113.12", "203.0.113.11");
        assertEquals("web.yaml:8:15: servers[1].address: 203.0.113.11 is already servers[0]; list a server once "
                + "(in TUN mode the port does not tell two servers apart)", only(load("cluster.yaml", CLUSTER, "web.yaml", text)));
    }

    @Test
    void allWeightsZero() {
        String text = WEB.replace("weight: 100", "weight: 0").replace("weight: 50", "weight: 0");
        assertTrue(only(load("cluster.yaml", CLUSTER, "web.yaml", text))
                .startsWith("web.yaml:7:3: servers: every weight is 0"));
    }

    @Test
    void tableSizeMustBePrimeAndLargeEnough() {
        String notPrime = WEB.replace("protocol: tcp\n", "protocol: tcp\nmaglev: {table_size: 65536}\n");
        assertEquals("web.yaml:5:22: maglev.table_size: 65536 is not prime; Maglev needs a prime table size "
                + "(nearest: 65521 or 65537)", only(load("cluster.yaml", CLUSTER, "web.yaml", notPrime)));
        String small = WEB.replace("protocol: tcp\n", "protocol: tcp\nmaglev: {table_size: 197}\n");
        assertEquals("web.yaml:5:22: maglev.table_size: table size 197 is less than 100 x 2 servers = 200, so shares "
                + "would be uneven; use a prime of at least 200, e.g. 211", only(load("cluster.yaml", CLUSTER, "web.yaml", small)));
    }

    @Test
    void duplicateEndpointAcrossFiles() {
        String other = WEB.replace("service: web", "service: web-copy");
        assertEquals("b.yaml:3:7: port: 192.0.2.10:80/tcp is already served by 'web' (a.yaml:2:6); one service per "
                + "VIP, port and protocol", only(load("cluster.yaml", CLUSTER, "a.yaml", WEB, "b.yaml", other)));
    }

    @Test
    void duplicateServiceName() {
        String other = WEB.replace("192.0.2.10", "192.0.2.11");
        assertEquals("b.yaml:1:10: service: service 'web' is already defined at a.yaml:1:10; service names must be unique",
                only(load("cluster.yaml", CLUSTER, "a.yaml", WEB, "b.yaml", other)));
    }

    @Test
    void severalServicesInOneFile() {
        String two = WEB + "---\n" + WEB.replace("web", "web2").replace("192.0.2.10", "192.0.2.11");
        ConfigLoader.Result r = load("cluster.yaml", CLUSTER, "both.yaml", two);
        assertTrue(r.ok(), r.problems()::toString);
        assertEquals(2, r.config().services().size());
    }

    @Test
    void tabsAreASyntaxErrorWithAPosition() {
        String text = WEB.replace("port: 80", "port:\t\t80").replace("protocol: tcp", "\tprotocol: tcp");
        String problem = only(load("cluster.yaml", CLUSTER, "web.yaml", text));
        assertTrue(problem.startsWith("web.yaml:4:1: yaml: a tab where YAML needs spaces"), problem);
    }

    @Test
    void duplicateKeys() {
        String text = WEB.replace("port: 80\n", "port: 80\nport: 81\n");
        assertEquals("web.yaml:4:1: port: duplicate key 'port' (first at line 3); YAML keys must be unique",
                only(load("cluster.yaml", CLUSTER, "web.yaml", text)));
    }

    @Test
    void aliasBombIsRefused() {
        StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (char c = 'b'; c <= 'k'; c++) {
            char p = (char) (c - 1);
            bomb.append(c).append(": &").append(c).append(" [*").append(p).append(", *").append(p).append(", *").append(p)
                    .append(", *").append(p).append(", *").append(p).append(", *").append(p).append("]\n");
        }
        assertEquals("bomb.yaml:1:1: yaml: more than 50 aliases to lists or maps (an alias bomb?); write the values out",
                only(load("cluster.yaml", CLUSTER, "bomb.yaml", bomb.toString())));
    }

    @Test
    void recursiveAliasIsRefused() {
        assertEquals("loop.yaml:1:10: service[0]: an alias that contains itself; YAML config cannot be recursive",
                only(load("cluster.yaml", CLUSTER, "loop.yaml", "service: &a [*a]\n")));
    }

    @Test
    void hugeFileIsRefused() {
        String big = "# " + "x".repeat(YamlReader.MAX_FILE_CHARS) + "\n";
        assertEquals("big.yaml:1:1: yaml: file is larger than 1024 KiB; split it into several files",
                only(load("cluster.yaml", CLUSTER, "big.yaml", big)));
    }

    @Test
    void notUtf8() {
        String text = new String(new byte[] {'s', 'e', 'r', 'v', 'i', 'c', 'e', ':', ' ', (byte) 0xff, '\n'},
                java.nio.charset.StandardCharsets.UTF_8);
        assertEquals("bin.yaml:1:10: yaml: not UTF-8 text here; save the file as UTF-8",
                only(load("cluster.yaml", CLUSTER, "bin.yaml", text)));
    }

    @Test
    void notAConfigDocument() {
        assertEquals("x.yaml:1:1: (document): unknown document: expected a 'service:' or a 'cluster:' key (see schemas/)",
                only(load("cluster.yaml", CLUSTER, "x.yaml", "name: web\n")));
        assertEquals("x.yaml:1:1: (document): a document must be a mapping starting with 'service:' or 'cluster:'",
                only(load("cluster.yaml", CLUSTER, "x.yaml", "- just\n- a list\n")));
    }

    @Test
    void missingAndDuplicateCluster() {
        assertEquals("cfg:1:1: cluster: no cluster document found; add one (e.g. cluster.yaml, see examples/cluster.yaml)",
                only(load("web.yaml", WEB)));
        assertTrue(only(load("a.yaml", CLUSTER, "b.yaml", CLUSTER, "web.yaml", WEB))
                .startsWith("b.yaml:1:10: cluster: a second cluster document; the first is at a.yaml:1:10"));
    }

    @Test
    void clusterNodesMustBeDistinct() {
        String cluster = CLUSTER + "  - {name: lb1, router_id: 10.255.0.1, interface: eth0, address: 100.64.1.3}\n";
        List<String> problems = load("cluster.yaml", cluster, "web.yaml", WEB).problems().stream().map(Object::toString).toList();
        assertEquals(List.of(
                "cluster.yaml:5:12: nodes[1].name: node 'lb1' is already nodes[0]",
                "cluster.yaml:5:28: nodes[1].router_id: router id 10.255.0.1 is already nodes[0]'s; OSPF router ids must be unique"),
                problems);
    }

    @Test
    void healthRules() {
        String slow = WEB.replace("health: {type: http, path: /healthz}", "health: {type: http, interval: 1s, timeout: 2s}");
        assertEquals("web.yaml:5:45: health.timeout: timeout 2s must be shorter than interval 1s",
                only(load("cluster.yaml", CLUSTER, "web.yaml", slow)));
        String tcpWithPath = WEB.replace("health: {type: http, path: /healthz}", "health: {type: tcp, path: /x}");
        assertEquals("web.yaml:5:27: health.path: path applies to http checks only; remove it or set type: http",
                only(load("cluster.yaml", CLUSTER, "web.yaml", tcpWithPath)));
        String tcpWithReuse = WEB.replace("health: {type: http, path: /healthz}", "health: {type: tcp, reuse_connection: false}");
        assertEquals("web.yaml:5:39: health.reuse_connection: reuse_connection applies to http checks only; remove it or set type: http",
                only(load("cluster.yaml", CLUSTER, "web.yaml", tcpWithReuse)));
        String kept = WEB.replace("health: {type: http, path: /healthz}", "health: {type: http, reuse_connection: true}");
        ConfigLoader.Result r = load("cluster.yaml", CLUSTER, "web.yaml", kept);
        assertTrue(r.ok(), r.problems()::toString);
        assertTrue(r.config().service("web").orElseThrow().health().reuseConnection());
        String portZero = WEB.replace("port: 80\n", "");
        assertEquals("web.yaml:6:5: servers[0]: a port-0 service's http check needs a port: set health.port, or a port "
                + "on every server", only(load("cluster.yaml", CLUSTER, "web.yaml", portZero)));
    }

    @Test
    void allProblemsAreReportedSorted() {
        String bad = WEB.replace("weight: 50", "weight: -1").replace("192.0.2.10", "1.2.3");
        List<String> problems = load("cluster.yaml", CLUSTER, "web.yaml", bad).problems().stream().map(Object::toString).toList();
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith("web.yaml:2:6: vip:"), problems::toString);
        assertTrue(problems.get(1).startsWith("web.yaml:8:37: servers[1].weight:"), problems::toString);
    }

    @Test
    void deepNestingIsRefusedBeforeTheParserRecurses() {
        for (int levels : new int[] {3_000, 20_000}) {
            String deep = "cluster: x\nnodes: " + "[".repeat(levels) + "]".repeat(levels) + "\n";
            assertEquals("deep.yaml:1:1: yaml: nested too deeply (limit " + YamlReader.MAX_DEPTH + ")",
                    only(load("cluster.yaml", CLUSTER, "deep.yaml", deep)));
        }
        String block = "service: x\nservers:\n" + "- ".repeat(20_000) + "x\n"; // block lists nest on one line too
        assertEquals("block.yaml:1:1: yaml: nested too deeply (limit " + YamlReader.MAX_DEPTH + ")",
                only(load("cluster.yaml", CLUSTER, "block.yaml", block)));
        String atTheLimit = WEB + "description: " + "[".repeat(YamlReader.MAX_DEPTH - 1) + "]".repeat(YamlReader.MAX_DEPTH - 1);
        String problem = only(load("cluster.yaml", CLUSTER, "ok.yaml", atTheLimit));
        assertTrue(problem.equals("ok.yaml:9:14: description: array found, string expected"), problem);
    }

    @Test
    void aSchemaErrorDoesNotHideTheSemanticProblems() {
        String bad = WEB.replace("weight: 50", "weight: 70000").replace("servers:", "maglev: {table_size: 65536}\nservers:");
        List<String> problems = load("cluster.yaml", CLUSTER, "web.yaml", bad).problems().stream().map(Object::toString).toList();
        assertEquals(List.of(
                "web.yaml:6:22: maglev.table_size: 65536 is not prime; Maglev needs a prime table size (nearest: 65521 or 65537)",
                "web.yaml:9:37: servers[1].weight: must have a maximum value of 65535"), problems);
    }
}
