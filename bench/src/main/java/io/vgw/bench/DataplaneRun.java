package io.vgw.bench;

import io.vgw.config.load.ConfigLoader;
import io.vgw.gateway.Gateway;
import io.vgw.gateway.GatewaySettings;
import io.vgw.gateway.dataplane.Counter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The gateway side of bench/dataplane: runs a gateway in this process on the settings' port (a net_pcap vdev
 * replaying a pcap forever), applies a config, and after a warm-up measures received packets per second.
 * Prints one line of JSON: {@code mpps} by the wall clock, and {@code cpu_ns}, the worker thread's CPU time per
 * received packet, which a loaded machine skews less (time the worker is off its CPU does not count; caches are
 * still shared). Not a test: it times, and it sleeps between samples on purpose.
 *
 * <p>Usage: DataplaneRun SETTINGS CONFIG_DIR WARMUP_SECONDS MEASURE_SECONDS [WARMUP_PACKETS]: the warm-up also lasts
 * until the gateway has received WARMUP_PACKETS (e.g. two passes over the pcap, so every flow has its entry before
 * mid-flow misses are counted), within two minutes.
 */
public final class DataplaneRun {
    public static void main(String[] args) throws Exception {
        GatewaySettings settings = GatewaySettings.read(Path.of(args[0]));
        var loaded = ConfigLoader.load(Path.of(args[1]));
        if (!loaded.ok()) throw new IllegalArgumentException(loaded.problems().toString());
        int warmup = Integer.parseInt(args[2]);
        int measure = Integer.parseInt(args[3]);
        long warmupPackets = args.length > 4 ? Long.parseLong(args[4]) : 0;
        try (Gateway gateway = Gateway.open(settings)) {
            Gateway.Applied applied = gateway.apply(loaded.config(), "bench", List.of());
            if (!applied.applied()) throw new IllegalStateException(applied.problems().toString());
            gateway.startWorkers();
            Thread.sleep(warmup * 1000L);
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (gateway.counters()[Counter.RX.ordinal()] < warmupPackets && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long worker = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("vgw-worker-0"))
                    .findFirst().orElseThrow().threadId();
            long[] before = gateway.counters();
            long cpu0 = threads.getThreadCpuTime(worker);
            long t0 = System.nanoTime();
            Thread.sleep(measure * 1000L);
            long[] after = gateway.counters();
            long cpu = threads.getThreadCpuTime(worker) - cpu0;
            double seconds = (System.nanoTime() - t0) / 1e9;
            long rx = after[Counter.RX.ordinal()] - before[Counter.RX.ordinal()];
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "{\"mpps\": %.3f, \"cpu_ns\": %.1f, \"rx\": %d",
                    rx / seconds / 1e6, rx == 0 ? 0.0 : cpu / (double) rx, rx));
            for (Counter c : Counter.values()) {
                long delta = after[c.ordinal()] - before[c.ordinal()];
                if (delta != 0 && c != Counter.RX) out.append(String.format(Locale.ROOT, ", \"%s\": %d", c.metricName(), delta));
            }
            System.out.println(out.append("}"));
        }
    }
}
