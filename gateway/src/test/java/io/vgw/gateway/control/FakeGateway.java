package io.vgw.gateway.control;

import io.vgw.api.Status;
import io.vgw.config.Config;
import io.vgw.config.load.SourceFile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A gateway without DPDK: applies count generations, or are refused with {@link #refuse}; {@link #fail} makes the
 * next apply throw it (an Error, say) as a broken gateway would.
 */
final class FakeGateway implements GatewayControl {
    record Call(Config config, String revision) {}

    final List<Call> applied = new ArrayList<>();
    volatile String refuse;
    volatile Throwable fail;
    private long generation;
    private String revision = "";
    private Config config;
    private List<SourceFile> files = List.of();

    @Override
    public synchronized Applied apply(Config next, String nextRevision, List<SourceFile> nextFiles) {
        Throwable t = fail;
        if (t != null) {
            fail = null;
            if (t instanceof Error e) throw e;
            throw (RuntimeException) t;
        }
        if (refuse != null) return new Applied(false, generation, List.of(refuse));
        applied.add(new Call(next, nextRevision));
        revision = nextRevision;
        config = next;
        files = nextFiles;
        return new Applied(true, ++generation, List.of());
    }

    @Override
    public synchronized Live live() {
        return new Live(config, revision, generation, files);
    }

    @Override
    public synchronized Status status() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("rx", 10L);
        counters.put("drop_no_service", 2L);
        return new Status("lb1", "100.64.1.2", revision, generation, 42, "net_null0", "device", null, "02:00:00:00:00:01", 1, 3, 1024,
                counters, List.of(new Status.Task("next-hops", 5, 1, "java.lang.StackOverflowError")),
                List.of(new Status.Service("web", "192.0.2.10:80/tcp", false, false, List.of(
                        new Status.Server("203.0.113.11", 100, Status.Health.UP, 0.5, "02:00:00:00:00:02", 7, 700,
                                new Status.Check("2026-11-29T20:00:00Z", "L7OK", 200, 1.2, "HTTP 200", "203.0.113.11:80")),
                        new Status.Server("203.0.113.12", 100, Status.Health.DOWN, 0.5, null, 0, 0,
                                new Status.Check("2026-11-29T20:01:00Z", "L4CON", 0, 0.3, "connection refused", "203.0.113.12:80"))))));
    }
}
