package io.vgw.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.api.Status;
import io.vgw.config.Listen;
import io.vgw.gateway.dataplane.Counter;
import io.vgw.gateway.dpdk.Port;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Scrapes the metrics of a fake gateway over HTTP and reads the text format back. */
class MetricsServerTest {

    static final class FakeSource implements MetricsSource {
        final long[] counters = new long[Counter.values().length];
        final AtomicLong generation = new AtomicLong(3);

        @Override
        public String port() {
            return "net_af_xdp0";
        }

        @Override
        public Port.Stats portStats() {
            return new Port.Stats(100, 90, 6400, 7000, 5, 1, 2, 3);
        }

        @Override
        public long[] counters() {
            return counters.clone();
        }

        @Override
        public long connections() {
            return 12;
        }

        @Override
        public long connectionCapacity() {
            return 2048;
        }

        @Override
        public List<String> serverLabels() {
            // id 3: released (its server was removed): no series, whatever its counters say
            return java.util.Arrays.asList("web/203.0.113.11", "web/203.0.113.12", "dns/203.0.113.53:5353", null);
        }

        @Override
        public long[] serverCounters() {
            long[] c = new long[32];
            c[0] = 40; c[1] = 4000;
            c[4] = 9; c[5] = 900;
            c[6] = 77; c[7] = 7700;
            return c;
        }

        @Override
        public long generation() {
            return generation.get();
        }

        @Override
        public List<Status.Task> tasks() {
            return List.of(new Status.Task("next-hops", 120, 2, "java.lang.OutOfMemoryError: Java heap space"));
        }
    }

    /** Samples of the Prometheus text format: "name{labels}" → value; comment lines are skipped. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }

    static HttpResponse<String> get(InetSocketAddress address, String path, String accept) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path));
            if (accept != null) request.header("Accept", accept);
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void everyMetricIsReadAtScrapeTime() throws Exception {
        FakeSource source = new FakeSource();
        source.counters[Counter.RX.ordinal()] = 100;
        source.counters[Counter.ENCAPSULATED.ordinal()] = 49;
        source.counters[Counter.CONN_MISS_NEW.ordinal()] = 7;
        source.counters[Counter.CONN_MISS_MID.ordinal()] = 1;
        source.counters[Counter.DROP_NO_SERVICE.ordinal()] = 4;
        try (MetricsServer server = MetricsServer.start(Listen.parse("127.0.0.1:0"), GatewayMetrics.registry(source))) {
            HttpResponse<String> response = get(server.address(), "/metrics", null);
            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
            Map<String, Double> m = parse(response.body());

            assertEquals(100, m.get("vgw_port_rx_packets_total{port=\"net_af_xdp0\"}"));
            assertEquals(90, m.get("vgw_port_tx_packets_total{port=\"net_af_xdp0\"}"));
            assertEquals(6400, m.get("vgw_port_rx_bytes_total{port=\"net_af_xdp0\"}"));
            assertEquals(7000, m.get("vgw_port_tx_bytes_total{port=\"net_af_xdp0\"}"));
            assertEquals(5, m.get("vgw_port_rx_missed_total{port=\"net_af_xdp0\"}"));
            assertEquals(3, m.get("vgw_port_rx_nombuf_total{port=\"net_af_xdp0\"}"));

            assertEquals(100, m.get("vgw_packets_total{event=\"rx\"}"));
            assertEquals(49, m.get("vgw_packets_total{event=\"encapsulated\"}"));
            for (Counter c : Counter.values()) {
                if (c.isDrop()) {
                    String reason = c.metricName().substring("drop_".length());
                    assertEquals(c == Counter.DROP_NO_SERVICE ? 4 : 0, m.get("vgw_drops_total{reason=\"" + reason + "\"}"), reason);
                    assertTrue(!m.containsKey("vgw_packets_total{event=\"" + c.metricName() + "\"}"), "drops are not events");
                } else {
                    assertTrue(m.containsKey("vgw_packets_total{event=\"" + c.metricName() + "\"}"), c.metricName());
                }
            }
            assertEquals(7, m.get("vgw_conn_misses_total{kind=\"new\"}"));
            assertEquals(1, m.get("vgw_conn_misses_total{kind=\"mid\"}"));
            assertEquals(12, m.get("vgw_conn_entries"));
            assertEquals(2048, m.get("vgw_conn_capacity"));

            assertEquals(40, m.get("vgw_server_packets_total{server=\"203.0.113.11\",service=\"web\"}"));
            assertEquals(4000, m.get("vgw_server_bytes_total{server=\"203.0.113.11\",service=\"web\"}"));
            assertEquals(0, m.get("vgw_server_packets_total{server=\"203.0.113.12\",service=\"web\"}"));
            assertEquals(900, m.get("vgw_server_bytes_total{server=\"203.0.113.53:5353\",service=\"dns\"}"));
            assertEquals(3, m.keySet().stream().filter(k -> k.startsWith("vgw_server_packets_total{")).count(),
                    "one series per live server: " + m.keySet());
            assertEquals(3, m.get("vgw_config_generation"));
            assertEquals(120, m.get("vgw_task_runs_total{task=\"next-hops\"}"));
            assertEquals(2, m.get("vgw_task_failures_total{task=\"next-hops\"}"));

            source.generation.set(4);
            source.counters[Counter.DROP_NO_SERVICE.ordinal()] = 5;
            Map<String, Double> again = parse(get(server.address(), "/metrics", null).body());
            assertEquals(4, again.get("vgw_config_generation"), "values are read on each scrape");
            assertEquals(5, again.get("vgw_drops_total{reason=\"no_service\"}"));
        }
    }

    @Test
    void openMetricsWhenAskedForAndErrorsOtherwise() throws Exception {
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), GatewayMetrics.registry(new FakeSource()))) {
            HttpResponse<String> om = get(server.address(), "/metrics", "application/openmetrics-text; version=1.0.0");
            assertTrue(om.headers().firstValue("Content-Type").orElseThrow().startsWith("application/openmetrics-text"));
            assertTrue(om.body().endsWith("# EOF\n"), om.body());
            assertTrue(om.body().contains("vgw_drops_total{reason=\"tx_full\"} 0"), om.body());
            assertEquals(404, get(server.address(), "/nope", null).statusCode());
        }
    }
}
