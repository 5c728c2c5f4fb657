package io.vgw.reconciler.loop;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;

/**
 * The reconciler's Prometheus metrics:
 *
 * <pre>
 * vgw_reconcile_attempts_total{result}                 attempts by result (applied, up_to_date, failed, refused, ...)
 * vgw_reconcile_step_duration_seconds{step}            time per step (fetch, validate, apply, ...)
 * vgw_reconcile_last_applied_timestamp_seconds         when the applied revision was applied (or restored)
 * vgw_reconcile_applied_revision_info{revision,ref}    1, labelled with the applied commit
 * vgw_reconcile_suspended, vgw_reconcile_pinned        1 when suspended / pinned
 * </pre>
 */
public final class ReconcilerMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter attempts;
    private final Histogram steps;
    private volatile ReconcileStatus status;

    public ReconcilerMetrics() {
        attempts = Counter.builder().name("vgw_reconcile_attempts_total").help("Reconcile attempts by result.")
                .labelNames("result").register(registry);
        for (ReconcileStatus.Result r : ReconcileStatus.Result.values()) attempts.labelValues(label(r)).inc(0);
        steps = Histogram.builder().name("vgw_reconcile_step_duration_seconds").help("Time spent in each reconcile step.")
                .labelNames("step").classicUpperBounds(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                .register(registry);
        GaugeWithCallback.builder().name("vgw_reconcile_last_applied_timestamp_seconds")
                .help("When the applied revision was applied, Unix time (0: none yet).")
                .callback(cb -> {
                    ReconcileStatus s = status;
                    cb.call(s == null || s.applied() == null ? 0 : s.applied().at().toEpochMilli() / 1000.0);
                }).register(registry);
        GaugeWithCallback.builder().name("vgw_reconcile_applied_revision_info")
                .help("The applied revision, as labels (value 1).").labelNames("revision", "ref")
                .callback(cb -> {
                    ReconcileStatus s = status;
                    if (s != null && s.applied() != null) cb.call(1, s.applied().commit(), s.ref());
                }).register(registry);
        GaugeWithCallback.builder().name("vgw_reconcile_suspended").help("1 while suspended (vgw reconcile suspend).")
                .callback(cb -> cb.call(status != null && status.suspended() ? 1 : 0)).register(registry);
        GaugeWithCallback.builder().name("vgw_reconcile_pinned").help("1 while pinned to a revision (vgw reconcile pin).")
                .callback(cb -> cb.call(status != null && status.pinned() != null ? 1 : 0)).register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    void step(Step step, long nanos) {
        steps.labelValues(step.label()).observe(nanos / 1e9);
    }

    void attempt(ReconcileStatus.Result result) {
        attempts.labelValues(label(result)).inc();
    }

    void publish(ReconcileStatus s) {
        status = s;
    }

    private static String label(ReconcileStatus.Result r) {
        return r.name().toLowerCase(Locale.ROOT);
    }
}
