package io.vgw.gateway.dataplane;

import io.vgw.gateway.dpdk.Burst;
import io.vgw.gateway.dpdk.Eal;
import io.vgw.gateway.dpdk.Mbuf;
import io.vgw.gateway.os.Affinity;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * One RX queue's loop: receive a burst, run each frame through the {@link Pipeline}, send what it kept on the same
 * port and queue. The forwarding state is read once per burst; so is the clock.
 *
 * <p>Idle policy: busy-poll while traffic flows; after {@link #SPINS_BEFORE_PARK} empty polls, park for a short,
 * growing while (up to {@link #MAX_PARK_NANOS}) so an idle gateway leaves the core to others. {@code spin = true}
 * never parks (dedicated cores, benchmarks).
 */
public final class Worker implements Runnable {
    static final int SPINS_BEFORE_PARK = 1024;
    static final long MIN_PARK_NANOS = 10_000;
    static final long MAX_PARK_NANOS = 1_000_000;

    private final int port;
    private final int queue;
    private final Pipeline pipeline;
    private final AtomicReference<ForwardingState> state;
    private final boolean spin;
    private final int cpu;
    private volatile boolean running = true;
    private volatile long bursts;
    /** Loop turns, busy or idle: the watchdog's sign of life. Written opaquely (no fence on the hot loop). */
    private long heartbeat;
    private static final java.lang.invoke.VarHandle HEARTBEAT;

    static {
        try {
            HEARTBEAT = java.lang.invoke.MethodHandles.lookup().findVarHandle(Worker.class, "heartbeat", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    // The burst's mbufs and frames as the first pass reads them (each mbuf field is read once), and their flow
    // hashes from the prefetch stage.
    private final long[] mbufs = new long[Burst.SIZE];
    private final long[] frames = new long[Burst.SIZE];
    private final int[] lengths = new int[Burst.SIZE];
    private final long[] hashes = new long[Burst.SIZE];

    /** @param cpu the CPU to pin this worker's thread to, or -1 to leave it to the scheduler */
    public Worker(int port, int queue, Pipeline pipeline, AtomicReference<ForwardingState> state, boolean spin, int cpu) {
        this.port = port;
        this.queue = queue;
        this.pipeline = pipeline;
        this.state = state;
        this.spin = spin;
        this.cpu = cpu;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    /** Non-empty bursts so far: lets a caller wait for the worker to have seen traffic. */
    public long bursts() {
        return bursts;
    }

    /** Grows while the loop turns (idle or not); stands still when the worker is stuck or dead. */
    public long heartbeat() {
        return (long) HEARTBEAT.getOpaque(this);
    }

    public void stop() {
        running = false;
    }

    @Override
    public void run() {
        if (cpu >= 0) Affinity.pinCurrentThread(cpu);
        Eal.registerThread();
        try (Burst burst = new Burst()) {
            int empty = 0;
            long park = MIN_PARK_NANOS;
            long done = 0;
            long turns = 0;
            while (running) {
                HEARTBEAT.setOpaque(this, ++turns);
                int n = burst.rx(port, queue);
                if (n == 0) {
                    if (spin || ++empty < SPINS_BEFORE_PARK) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(park);
                        park = Math.min(MAX_PARK_NANOS, park * 2);
                    }
                    continue;
                }
                empty = 0;
                park = MIN_PARK_NANOS;
                forward(burst, n);
                bursts = ++done;
            }
        } finally {
            Eal.unregisterThread();
        }
    }

    /**
     * One burst in stages: read the mbufs, hash and touch (misses overlap), process frame by frame, one tx. Each stage
     * is its own small method: one method holding them all grew past what the JIT inlines into (the per-packet
     * accessors then became calls).
     */
    private void forward(Burst burst, int n) {
        pipeline.begin(state.get(), Ticks.now());
        read(burst, n);
        pipeline.prefetch(frames, lengths, hashes, n);
        int kept = process(burst, n);
        burst.flushDropped();
        int sent = burst.tx(port, queue, kept);
        if (sent < kept) {
            pipeline.txRefused(kept - sent);
            burst.free(sent, kept);
        }
    }

    /** Each mbuf field the stages need, read once. */
    private void read(Burst burst, int n) {
        for (int i = 0; i < n; i++) {
            long m = burst.mbuf(i);
            mbufs[i] = m;
            frames[i] = Mbuf.data(m);
            lengths[i] = Mbuf.dataLen(m);
        }
    }

    /** Runs each frame through the pipeline; the kept ones, reframed, fill the burst's first slots. Returns how many. */
    private int process(Burst burst, int n) {
        int kept = 0;
        for (int i = 0; i < n; i++) {
            long m = mbufs[i];
            if (Mbuf.segments(m) != 1) {
                pipeline.count(Counter.RX);
                pipeline.count(Counter.DROP_MULTI_SEGMENT);
                burst.drop(m);
                continue;
            }
            int verdict = pipeline.process(frames[i], lengths[i], Mbuf.headroom(m), hashes[i]);
            if (verdict == Pipeline.TX) {
                Mbuf.reframe(m, pipeline.prepended, pipeline.length);
                mbufs[kept++] = m; // kept <= i: only slots already read are overwritten
            } else {
                burst.drop(m);
            }
        }
        burst.set(mbufs, kept);
        return kept;
    }
}
