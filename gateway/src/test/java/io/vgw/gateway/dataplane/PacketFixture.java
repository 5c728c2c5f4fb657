package io.vgw.gateway.dataplane;

import io.vgw.config.Ipv4;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One line of {@code fixtures/packets.jsonl}, written by {@code src/test/fixtures/make_fixtures.py} (which documents
 * the fields; regenerate with {@code /usr/bin/python3 gateway/src/test/fixtures/make_fixtures.py}).
 *
 * @param counter     the counter naming the outcome: a drop reason, PASS, or the kind of TX
 * @param also        further counters expected at 1 (CONN_* counters are only checked when listed)
 * @param connEntries live connection entries expected afterwards, or null
 * @param headroom    headroom the frame is given
 * @param oracle      a Maglev choice the Java oracle (ServiceTable) must confirm, or null
 * @param output      the expected output frame (TX), else null
 */
record PacketFixture(String name, String description, int verdict, Counter counter, List<Counter> also,
                     Integer connEntries, int headroom, Oracle oracle, String scapyInput, String scapyOutput,
                     byte[] input, byte[] output) {

    static final String RESOURCE = "/fixtures/packets.jsonl";
    static final int DEFAULT_HEADROOM = 128;

    /** "ServiceTable.of(service).serverFor(client, clientPort, port) is server". */
    record Oracle(String service, int client, int clientPort, int port, int server) {}

    static List<PacketFixture> all() {
        try (InputStream in = PacketFixture.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException(RESOURCE + " is missing; run make_fixtures.py");
            List<PacketFixture> fixtures = new ArrayList<>();
            int line = 0;
            for (String text : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                line++;
                if (text.isBlank()) continue;
                try {
                    fixtures.add(of(JsonMapper.shared().readTree(text)));
                } catch (RuntimeException e) {
                    throw new IllegalStateException(RESOURCE + ":" + line + ": " + e.getMessage(), e);
                }
            }
            return fixtures;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static PacketFixture of(JsonNode j) {
        HexFormat hex = HexFormat.of();
        int verdict = switch (j.path("verdict").asString()) {
            case "TX" -> Pipeline.TX;
            case "DROP" -> Pipeline.DROP;
            case "PASS" -> Pipeline.PASS;
            default -> throw new IllegalArgumentException("verdict " + j.path("verdict"));
        };
        List<Counter> also = new ArrayList<>();
        for (JsonNode o : j.path("also")) also.add(Counter.valueOf(o.asString()));
        JsonNode o = j.path("oracle");
        Oracle oracle = o.isObject() ? new Oracle(o.path("service").asString(), Ipv4.parse(o.path("client").asString()),
                o.path("client_port").asInt(), o.path("port").asInt(), Ipv4.parse(o.path("server").asString())) : null;
        JsonNode output = j.path("output");
        return new PacketFixture(j.path("name").asString(), j.path("description").asString(), verdict,
                Counter.valueOf(j.path("counter").asString()), List.copyOf(also),
                j.path("conn_entries").isNumber() ? j.path("conn_entries").asInt() : null,
                j.path("headroom").isNumber() ? j.path("headroom").asInt() : DEFAULT_HEADROOM, oracle,
                j.path("scapy_input").asString(), j.path("scapy_output").asString(),
                hex.parseHex(j.path("input").asString()), output.isString() ? hex.parseHex(output.asString()) : null);
    }

    /** The fate counter of this fixture's verdict: TX, PASS, or its drop reason. */
    Counter fate() {
        return switch (verdict) {
            case Pipeline.TX -> Counter.TX;
            case Pipeline.PASS -> Counter.PASS;
            default -> counter;
        };
    }

    static String verdictName(int verdict) {
        return switch (verdict) {
            case Pipeline.TX -> "TX";
            case Pipeline.DROP -> "DROP";
            case Pipeline.PASS -> "PASS";
            default -> "verdict " + verdict;
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
