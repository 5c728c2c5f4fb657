package io.vgw.gateway.control;

import io.vgw.config.Config;
import io.vgw.gateway.Gateway;
import io.vgw.gateway.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A gateway without DPDK: applies count generations, or are refused with {@link #refuse}. */
final class FakeGateway implements GatewayControl {
    record Call(Config config, String revision) {}

    final List<Call> applied = new ArrayList<>();
    volatile String refuse;
    private long generation;
    private String revision = "";

    @Override
    public synchronized Gateway.Applied apply(Config config, String revision) {
        if (refuse != null) return new Gateway.Applied(false, generation, List.of(refuse));
        applied.add(new Call(config, revision));
        this.revision = revision;
        return new Gateway.Applied(true, ++generation, List.of());
    }

    @Override
    public synchronized Status status() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("rx", 10L);
        counters.put("drop_no_service", 2L);
        return new Status("lb1", "100.64.1.2", revision, generation, 42, "net_null0", "02:00:00:00:00:01", 1, 3, 1024,
                counters, List.of(new Status.Service("web", "192.0.2.10:80/tcp", List.of(
                        new Status.Server("203.0.113.11", 100, true, 0.5, "02:00:00:00:00:02", 7, 700),
                        new Status.Server("203.0.113.12", 100, false, 0.5, null, 0, 0)))));
    }
}
