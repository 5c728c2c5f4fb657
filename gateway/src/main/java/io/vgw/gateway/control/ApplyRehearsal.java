package io.vgw.gateway.control;

import io.vgw.api.ApiJson;
import io.vgw.api.ConfigRequest;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once per process, as soon as there is a live config: reads an apply request of its files and loads them (YAML,
 * schemas, rules) {@link #ROUNDS} times on a thread of its own, dropping the results. Without it the apply path runs
 * cold for the first pushes a reconciler sends: interpreted, then compiled by C2 while those pushes wait for the CPU
 * (in the lab, 0.8 s of C2 time on the YAML parser alone over ten pushes, on two cores the push shares with git and
 * both nodes' reconcilers). Stops for good at the first real apply, which warms its own path.
 */
final class ApplyRehearsal {
    private static final Logger LOG = LoggerFactory.getLogger(ApplyRehearsal.class);
    static final int ROUNDS = 30;
    static final Duration BUDGET = Duration.ofSeconds(2);
    /**
     * Larger configs are not rehearsed: loading one ran the path over that many files already (the JIT has compiled
     * it), and one round of 10,000 files would take seconds of CPU from the next real apply.
     */
    static final int MAX_FILES = 100;

    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean stopped;
    private volatile Thread thread;

    /** Starts the rounds on the live config's files, the first time only. */
    void startOnce(String revision, List<SourceFile> files) {
        if (stopped || files.isEmpty() || files.size() > MAX_FILES || !started.compareAndSet(false, true)) return;
        byte[] request = ApiJson.MAPPER.writeValueAsBytes(new ConfigRequest(revision, false, files));
        thread = Thread.ofPlatform().daemon().name("vgw-apply-warm-up").start(() -> run(request));
    }

    /** The thread of the rounds, null before they started (for tests). */
    Thread thread() {
        return thread;
    }

    /** A real apply arrived: no more rounds (before the first one started, nothing). */
    void stop() {
        if (started.get()) stopped = true;
    }

    private void run(byte[] request) {
        long t0 = System.nanoTime();
        int rounds = 0;
        try {
            while (!stopped && rounds < ROUNDS && System.nanoTime() - t0 < BUDGET.toNanos()) {
                ConfigRequest r = ConfigRequest.read(new ByteArrayInputStream(request));
                ConfigLoader.load(r.effectiveRevision(), r.files());
                rounds++;
            }
            LOG.info("apply path warmed up: {} rounds in {} ms (the live config's files read and loaded, dropped)",
                    rounds, (System.nanoTime() - t0) / 1_000_000);
        } catch (Throwable t) { // only a warm-up: the applies do not depend on it, but it never fails unseen
            LOG.warn("warming up the apply path stopped after {} rounds", rounds, t);
        }
    }
}
