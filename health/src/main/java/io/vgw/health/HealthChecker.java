package io.vgw.health;

import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.util.IntSupplier;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every target on one Netty epoll event loop (one thread for all of them) and turns results into verdicts.
 *
 * <p>Each target is probed once per interval at its own phase ({@link Target#phaseNanos()}, on the epoch clock so
 * every node agrees) plus up to {@link Options#jitter} of the interval at random. A tcp probe opens a new connection;
 * an http probe reuses its target's kept connection unless the check says otherwise ({@link Probe} says when a new
 * one is opened); every connection ends with RST, so the checker leaves no TIME_WAIT sockets behind. A probe's own
 * timer bounds it to the check's timeout, which the config keeps shorter than the interval, so a target has at most
 * one probe in flight.
 *
 * <p>Cost: each connection is a bare socket the checker keeps registered with the loop's epoll and reuses
 * ({@link ProbeSocket}), and each target has one timer in a {@link Wheel} that a single scheduled task
 * advances; nothing is allocated per probe but its {@link Result}. While probes are dense (thousands of targets)
 * the thread wakes once per {@link #BATCH_NANOS} window ({@link #await}): it takes every reply that came during the
 * window with one epoll_wait and then starts the window's due probes: a burst of replies is one wake-up, not one
 * each. A window starts at most twice its share of the probes ({@link StartBudget}): a thread that fell behind
 * catches up in deadline order, its replies still taken every window, instead of starting everything overdue at once.
 *
 * <p>Verdicts: see {@link Tracked#record}. State changes reach the {@link HealthListener} coalesced: a batch is
 * delivered once no change came for {@link Options#quiet}, or {@link Options#maxDelay} after its first change.
 * Targets whose check is unchanged keep their verdict across {@link #setTargets} calls.
 */
public final class HealthChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthChecker.class);
    /**
     * While the wheel's next tick is at most this far, the thread wakes once per window of this length (see
     * {@link #await}): the longer the window, the fewer wake-ups, epoll_waits and context switches (checker CPU
     * measured 0.75x at 8 ms, 0.88x at 4 ms, 10,000 tcp targets); probes start at their window's start (see
     * {@link #plan}), and results, timeouts and check durations are taken at that granularity.
     */
    static final long BATCH_NANOS = 8 * Wheel.TICK_NANOS;

    /**
     * @param source   the local address probes are sent from (binds the checker to an interface), null: the kernel's
     *                 choice by route
     * @param setup    run first on the checker's thread, e.g. entering the network namespace that reaches the
     *                 servers (sockets live in the namespace of the thread that opens them); null for none
     * @param jitter   fraction of the interval added at random to each probe's start
     * @param quiet    a batch of changes is delivered once no further change came for this long
     * @param maxDelay ... but no later than this after its first change
     */
    public record Options(InetAddress source, Runnable setup, double jitter, Duration quiet, Duration maxDelay) {
        public static final Options DEFAULTS = new Options(null, null, 0.02, Duration.ofMillis(50), Duration.ofMillis(250));

        public Options withSource(InetAddress a) {
            return new Options(a, setup, jitter, quiet, maxDelay);
        }

        public Options withSetup(Runnable r) {
            return new Options(source, r, jitter, quiet, maxDelay);
        }

        public Options withCoalescing(Duration quietTime, Duration max) {
            return new Options(source, setup, jitter, quietTime, max);
        }
    }

    private final Options options;
    private final HealthListener listener;
    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop loop;
    /** epoch nanoseconds minus nanoTime, fixed at start: slots are placed on the epoch clock */
    private final long epochOffset;
    private final Map<Target, Tracked> targets = new ConcurrentHashMap<>();
    /** the local address probes are bound to, or null */
    private final InetAddress source;

    /** the local ports probe sockets are bound to, from the range of the checker thread's namespace */
    private final ProbeSocket.Ports ports;

    // checker thread only
    private final Wheel wheel;
    private Future<?> tick;
    private long tickAt = Long.MAX_VALUE;
    private boolean advancing;
    /** when the running tick started: the clock of the start budget while it runs (one read, not one per target) */
    private long tickNanos;
    private final StartBudget starts = new StartBudget(BATCH_NANOS);
    /** sockets between probes */
    private final ArrayDeque<ProbeSocket> idle = new ArrayDeque<>();
    /** http connections send their request with the SYN (Fast Open without a cookie), until the kernel refuses it */
    private boolean fastOpen = true;
    /** the probes' one I/O buffer (requests out, status lines in) */
    private ByteBuffer scratch = ByteBuffer.allocateDirect(1024);
    private final List<Transition> pending = new ArrayList<>();
    private long firstPendingNanos;
    private long lastPendingNanos;
    private boolean flushScheduled;

    public HealthChecker(Options options, HealthListener listener) {
        Epoll.ensureAvailability();
        this.options = options;
        this.listener = listener;
        this.source = options.source();
        SelectStrategy wait = this::await;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("vgw-health", true),
                EpollIoHandler.newFactory(0, () -> wait));
        this.loop = group.next();
        if (options.setup() != null) {
            try {
                loop.submit(options.setup()).syncUninterruptibly();
            } catch (RuntimeException e) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                throw e;
            }
        }
        // load the native socket code now, so that the first probe is not charged for it
        this.ports = loop.submit(() -> {
            LinuxSocket.newSocketStream(false).close();
            return ProbeSocket.Ports.ofNamespace();
        }).syncUninterruptibly().getNow();
        Instant now = Instant.now();
        this.epochOffset = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
        this.wheel = new Wheel(System.nanoTime());
    }

    /**
     * Makes {@code wanted} the set of targets (duplicates collapse: one probe per unique target). Targets already
     * checked keep their verdict and schedule; new ones start unknown and are first probed at their next phase;
     * the others stop. Returns once the checker has taken the change.
     */
    public void setTargets(Collection<Target> wanted) {
        Set<Target> next = new HashSet<>(wanted);
        loop.submit(() -> {
            long nowMillis = System.currentTimeMillis();
            for (var it = targets.values().iterator(); it.hasNext(); ) {
                Tracked t = it.next();
                if (!next.contains(t.target)) {
                    stop(t);
                    it.remove();
                }
            }
            for (Target target : next) {
                if (!targets.containsKey(target)) {
                    Tracked t = new Tracked(target, nowMillis, this);
                    targets.put(target, t);
                    schedule(t, System.nanoTime());
                }
            }
            starts.size(targets.values());
        }).syncUninterruptibly();
    }

    /** The verdict on a target, or null when it is not a target. Safe from any thread. */
    public Health health(Target target) {
        Tracked t = targets.get(target);
        return t == null ? null : t.health;
    }

    /** Every target and its verdict (a snapshot, from any thread). */
    public Map<Target, Health> healths() {
        Map<Target, Health> all = new HashMap<>();
        targets.forEach((k, v) -> all.put(k, v.health));
        return all;
    }

    public int size() {
        return targets.size();
    }

    /** The checker's thread, for tests and benchmarks (CPU time). */
    public Thread thread() {
        return loop.submit(Thread::currentThread).syncUninterruptibly().getNow();
    }

    /** Plans the first probe after {@code nowNanos} at the target's phase, plus jitter. */
    private void schedule(Tracked t, long nowNanos) {
        long phase = t.target.phaseNanos();
        long epochNow = nowNanos + epochOffset;
        t.slotEpochNanos = Math.floorDiv(epochNow - phase, t.intervalNanos) * t.intervalNanos + phase + t.intervalNanos;
        plan(t);
        arm(t, t.plannedNanos);
    }

    /**
     * The next probe's start: its slot plus jitter, rounded down to the start of its {@link #BATCH_NANOS} window, so
     * that a window's probes are due together when the thread wakes for it (they start at most a window before
     * slot + jitter, inside the jitter's spread; without the rounding each waited up to a window for the wake-up).
     * Lateness is measured from there: how late the thread got to the window, not the window's length by design.
     */
    private void plan(Tracked t) {
        long jitter = (long) (t.intervalNanos * options.jitter());
        long at = t.slotEpochNanos - epochOffset + (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter) : 0);
        t.plannedNanos = Math.floorDiv(at, BATCH_NANOS) * BATCH_NANOS;
    }

    /** Sets the target's timer; the wheel's task is brought forward when the timer is due before it. */
    private void arm(Tracked t, long deadlineNanos) {
        wheel.set(t, deadlineNanos);
        if (!advancing && deadlineNanos < tickAt) scheduleTick(deadlineNanos);
    }

    private void scheduleTick(long atNanos) {
        if (tick != null) tick.cancel(false);
        tickAt = atNanos;
        tick = loop.schedule(this::tick, atNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    /**
     * How the loop waits (Netty asks before each epoll_wait; checker thread). Probes dense (the wheel's next tick
     * within {@link #BATCH_NANOS}): sleep until the end of the current window, then take every socket that is ready
     * without blocking, and the due timers after them, so that replies wait for the window (they are taken before
     * the timeouts due with them) instead of waking the thread one by one, and the window's resets, requests and
     * connects leave in one burst. Tasks from other threads ({@link #setTargets}, {@link #close}) wait for the window
     * too. Otherwise Netty's own blocking wait: woken by a reply, a task or the tick's timer.
     */
    private int await(IntSupplier readyNow, boolean hasTasks) throws Exception {
        if (hasTasks) return readyNow.get();
        if (tickAt == Long.MAX_VALUE) return SelectStrategy.SELECT; // no timer set
        if (tickAt - System.nanoTime() > BATCH_NANOS) return SelectStrategy.SELECT;
        if (Thread.currentThread().isInterrupted()) return SelectStrategy.SELECT; // park would not sleep: no busy loop
        long sleep = -Math.floorDiv(-tickAt, BATCH_NANOS) * BATCH_NANOS - System.nanoTime(); // to the window's end
        if (sleep > 0) LockSupport.parkNanos(sleep);
        return readyNow.get();
    }

    /**
     * Fires the due timers, then sleeps until the next non-empty bucket; when the window started its share of probes
     * ({@link StartBudget}), until the next window, which goes on where this one stopped (in deadline order).
     */
    private void tick() {
        tick = null;
        tickAt = Long.MAX_VALUE;
        advancing = true;
        boolean all = true;
        try {
            tickNanos = System.nanoTime();
            all = wheel.advance(tickNanos, this::expired);
        } finally { // whatever escaped, the wheel keeps turning
            advancing = false;
            long next = all ? wheel.nextTickNanos() : starts.nextWindow(tickNanos);
            if (next != Long.MAX_VALUE) scheduleTick(next);
        }
    }

    /** A target's timer: its probe in flight timed out, or its next probe is due; false: no start left this window. */
    private boolean expired(Tracked t) {
        try {
            if (t.probe.inFlight()) t.probe.timedOut(); // its result plans the next probe
            else if (starts.take(tickNanos)) probe(t);
            else return false;
        } catch (Throwable e) { // a bug: logged, and the target goes on being probed
            LOG.error("health probe of {} failed", t.target, e);
            t.probe.abandon();
            if (!t.removed && t.wheelTick == Long.MIN_VALUE) arm(t, t.plannedNanos);
        }
        return true;
    }

    private void probe(Tracked t) {
        long now = System.nanoTime();
        long lateness = now - t.plannedNanos;
        // next slot first, skipping any this thread was too late for
        t.slotEpochNanos += t.intervalNanos;
        long behind = now + epochOffset - t.slotEpochNanos;
        if (behind > 0) t.slotEpochNanos += (behind / t.intervalNanos + 1) * t.intervalNanos;
        plan(t);
        arm(t, now + t.timeoutNanos); // the probe's timeout; its result sets the timer to the next probe
        t.probe.start(now, lateness);
    }

    /** A socket for a probe: an idle one, else a new one. */
    ProbeSocket socket() throws IOException {
        ProbeSocket s = idle.pollLast();
        return s != null ? s : ProbeSocket.open(loop, source, ports);
    }

    /**
     * Resets a probe's connection and keeps its socket for the next probe; the pool holds at most one socket per
     * target (about the number of probes in flight at once), so what a burst of timeouts opened is closed again.
     */
    void release(ProbeSocket s) {
        s.owner = null;
        if (!s.reset()) return;
        if (idle.size() < targets.size()) idle.addLast(s);
        else s.close();
    }

    boolean fastOpen() {
        return fastOpen;
    }

    /** The namespace's net.ipv4.tcp_fastopen has no client bit: http probes connect, then write. */
    void noFastOpen() {
        if (fastOpen) LOG.info("TCP Fast Open is off for clients (net.ipv4.tcp_fastopen): http probes connect, then write");
        fastOpen = false;
    }

    /** The probe's I/O buffer, at least {@code size} bytes (direct: the kernel reads and writes it). */
    ByteBuffer scratch(int size) {
        if (scratch.capacity() < size) scratch = ByteBuffer.allocateDirect(Math.max(size, 2 * scratch.capacity()));
        return scratch;
    }

    /** A probe's one result, on the checker thread. */
    void finished(Tracked t, Result result, long latenessNanos) {
        if (t.removed) return;
        arm(t, t.plannedNanos);
        long nowMillis = System.currentTimeMillis();
        State from = t.record(result, nowMillis);
        try {
            listener.probed(t.target, result, latenessNanos);
        } catch (Throwable e) {
            LOG.error("health listener failed on a probe result (the checker goes on)", e);
        }
        if (from == null) return;
        Health after = t.health;
        LOG.info("{} {}: {} -> {} after {} {}: {}", t.target.endpoint(), t.target.check().kind().name().toLowerCase(),
                from.label(), after.state().label(), after.streak(), result.ok() ? "success" + (after.streak() == 1 ? "" : "es")
                        : "failure" + (after.streak() == 1 ? "" : "s"), result);
        pending.add(new Transition(t.target, from, after.state(), result, nowMillis));
        long now = System.nanoTime();
        if (pending.size() == 1) firstPendingNanos = now;
        lastPendingNanos = now;
        if (!flushScheduled) {
            flushScheduled = true;
            loop.schedule(this::flush, options.quiet().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Delivers the pending batch once it has been quiet for {@code quiet}, or has waited {@code maxDelay}. */
    private void flush() {
        long now = System.nanoTime();
        long quietAt = lastPendingNanos + options.quiet().toNanos();
        long deadline = firstPendingNanos + options.maxDelay().toNanos();
        if (now < quietAt && now < deadline) {
            loop.schedule(this::flush, Math.min(quietAt, deadline) - now, TimeUnit.NANOSECONDS);
            return;
        }
        flushScheduled = false;
        List<Transition> batch = List.copyOf(pending);
        pending.clear();
        try {
            listener.changed(batch);
        } catch (Throwable e) {
            LOG.error("health listener failed on {} state changes (the checker goes on)", batch.size(), e);
        }
    }

    private void stop(Tracked t) {
        t.removed = true;
        wheel.remove(t);
        t.probe.abandon();
    }

    @Override
    public void close() {
        try {
            loop.submit(() -> {
                targets.values().forEach(this::stop);
                targets.clear();
                idle.forEach(ProbeSocket::close);
                idle.clear();
            }).syncUninterruptibly();
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
