package io.vgw.gateway.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vgw.health.Check;
import io.vgw.health.Code;
import io.vgw.health.Result;
import io.vgw.health.State;
import io.vgw.health.Target;
import io.vgw.health.Transition;
import java.util.List;
import java.util.Locale;

/**
 * The health checker's metrics, updated on the checker's thread as probes finish (label lookups done once here):
 *
 * <pre>
 * vgw_health_checks_total{result}                probes by result code (l4ok, l4tout, l4con, l7ok, l7sts, ...)
 * vgw_health_check_duration_seconds{kind}        how long probes took (tcp, http)
 * vgw_health_transitions_total{to}               state changes of targets (up, down)
 * vgw_health_probe_lateness_seconds              how late probes started against their schedule: a starved
 *                                                checker shows here before it causes false downs
 * </pre>
 * Per server, {@code vgw_server_up{service,server}} is in {@link GatewayMetrics}.
 */
public final class HealthMetrics {
    private static final double[] DURATION = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
    private static final double[] LATENESS = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1};

    private final Counter checks = Counter.builder().name("vgw_health_checks_total")
            .help("Health probes by result code, as HAProxy names them (l4ok, l4tout, l4con, l7ok, l7tout, l7rsp, l7sts, sockerr).")
            .labelNames("result").build();
    private final Histogram duration = Histogram.builder().name("vgw_health_check_duration_seconds")
            .help("Duration of health probes, from opening the socket to the verdict.")
            .labelNames("kind").classicOnly().classicUpperBounds(DURATION).build();
    private final Counter transitions = Counter.builder().name("vgw_health_transitions_total")
            .help("Health state changes of probe targets, by new state.").labelNames("to").build();
    private final Histogram lateness = Histogram.builder().name("vgw_health_probe_lateness_seconds")
            .help("How late health probes started against their schedule (the checker's thread was busy or starved).")
            .classicOnly().classicUpperBounds(LATENESS).build();

    private final CounterDataPoint[] byCode = new CounterDataPoint[Code.values().length];
    private final DistributionDataPoint[] byKind = new DistributionDataPoint[Check.Kind.values().length];
    private final CounterDataPoint[] byState = new CounterDataPoint[State.values().length];

    public HealthMetrics() {
        for (Code c : Code.values()) byCode[c.ordinal()] = checks.labelValues(c.name().toLowerCase(Locale.ROOT));
        for (Check.Kind k : Check.Kind.values()) byKind[k.ordinal()] = duration.labelValues(k.name().toLowerCase(Locale.ROOT));
        for (State s : State.values()) if (s != State.UNKNOWN) byState[s.ordinal()] = transitions.labelValues(s.label());
    }

    public void probed(Target target, Result result, long latenessNanos) {
        byCode[result.code().ordinal()].inc();
        byKind[target.check().kind().ordinal()].observe(result.durationNanos() / 1e9);
        lateness.observe(Math.max(0, latenessNanos) / 1e9);
    }

    public void changed(List<Transition> batch) {
        for (Transition t : batch) byState[t.to().ordinal()].inc();
    }

    void register(PrometheusRegistry registry) {
        registry.register(checks);
        registry.register(duration);
        registry.register(transitions);
        registry.register(lateness);
    }
}
