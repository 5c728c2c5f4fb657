package io.vgw.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.vgw.health.Check;
import io.vgw.health.Code;
import io.vgw.health.HealthChecker;
import io.vgw.health.HealthListener;
import io.vgw.health.Result;
import io.vgw.health.State;
import io.vgw.health.Target;
import io.vgw.health.Transition;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The health checker at scale (bench/health runs it as root inside a namespace of its own): N targets, every 1 s,
 * on the checker's one thread: 40 loopback addresses x N/40 ports, each port a listener on 0.0.0.0 served by a
 * Netty server on another thread.
 *
 * <ol>
 *   <li>all healthy: checker thread CPU, probe-start lateness p50/p99/p99.9, false downs, TIME_WAIT sockets;
 *   <li>flip: half the listeners stop accepting; their backlog (64) fills and the kernel then drops SYNs silently.
 *       Those targets fall (L4TOUT × fall); counted: batches delivered (each one rebuild and swap in the gateway)
 *       and how long after the last verdict the last batch came;
 *   <li>half silent: the same figures with half of the targets timing out.
 * </ol>
 * Not a test: it times, and sleeps between samples on purpose. Usage: HealthRun tcp|http TARGETS SECONDS
 */
public final class HealthRun {
    private static final int ADDRESSES = 40;
    private static final int FIRST_PORT = 20000;
    private static final byte[] OK = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws Exception {
        boolean http = args[0].equals("http");
        int n = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        Check check = http ? Check.http("/healthz", 200, Duration.ofSeconds(1), Duration.ofMillis(500), 2, 3)
                : Check.tcp(Duration.ofSeconds(1), Duration.ofMillis(500), 2, 3);

        MultiThreadIoEventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        List<Target> targets = new ArrayList<>();
        List<Channel> silent = new ArrayList<>();
        ChannelHandler serve = http ? new HttpOk() : new Ignore();
        // 40 addresses (127.0.0.1..40) x n/40 ports; a listener on 0.0.0.0:port serves a port on all 40 addresses
        int ports = (n + ADDRESSES - 1) / ADDRESSES;
        for (int p = 0; p < ports; p++) {
            boolean dropper = p % 2 == 1;
            Channel listener = new ServerBootstrap().group(serverGroup).channel(EpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, dropper ? 64 : 4096).childHandler(serve)
                    .bind(FIRST_PORT + p).sync().channel();
            if (dropper) silent.add(listener);
        }
        for (int i = 0; i < n; i++) targets.add(new Target(0x7f000001 + i % ADDRESSES, FIRST_PORT + i / ADDRESSES, check));
        System.gc();
        long heapBefore = usedHeap();

        Stats stats = new Stats(n, seconds);
        try (HealthChecker checker = new HealthChecker(HealthChecker.Options.DEFAULTS, stats)) {
            Thread thread = checker.thread();
            long t0 = System.nanoTime();
            checker.setTargets(targets);
            stats.awaitStates(checker, targets, State.UP, n, 15);
            System.out.printf(Locale.ROOT, "%s: %d targets up in %.1f s%n", args[0], n, (System.nanoTime() - t0) / 1e9);
            Thread.sleep(3000);
            Window healthy = stats.measure(thread, seconds, "all healthy");
            System.gc();
            long heapChecker = usedHeap() - heapBefore;

            stats.downsExpected = true;
            long flipStart = System.currentTimeMillis();
            for (Channel c : silent) c.config().setAutoRead(false); // stops accepting: backlog fills, SYNs dropped
            List<Target> droppers = new ArrayList<>();
            for (Target t : targets) if (dropper(t)) droppers.add(t);
            stats.awaitStates(checker, droppers, State.DOWN, droppers.size(), 30);
            Thread.sleep(1000); // the last batch
            Flip flip = stats.flip(flipStart);
            Thread.sleep(2000);
            Window half = stats.measure(thread, seconds, "half silent");

            System.out.println();
            System.out.printf(Locale.ROOT, "%-12s %8s %10s %9s %8s %8s %9s %11s %9s  %s%n", args[0] + " x" + n,
                    "cpu %", "probes/s", "us/probe", "p50 ms", "p99 ms", "p99.9 ms", "false down", "TIME_WAIT", "results");
            for (Window w : List.of(healthy, half)) System.out.println(w.row());
            System.out.printf(Locale.ROOT, "heap of the checker (used after GC, minus the server's): %.1f MiB%n", heapChecker / 1048576.0);
            System.out.println(flip);
            for (Code c : Code.values()) if (stats.reasons[c.ordinal()] != null) System.out.println("first " + c + ": " + stats.reasons[c.ordinal()]);
        } finally {
            serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Target i is at 127.0.0.(1 + i % 40), port 20000 + i / 40; odd ports stop accepting in the flip. */
    static boolean dropper(Target t) {
        return (t.port() - FIRST_PORT) % 2 == 1;
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    record Window(String name, double cpu, double rate, double p50, double p99, double p999, long falseDowns,
                  long timeWait, String results) {
        String row() {
            return String.format(Locale.ROOT, "%-12s %8.1f %10.0f %9.1f %8.2f %8.2f %9.2f %11d %9d  %s", name, cpu, rate,
                    cpu * 1e4 / rate, p50, p99, p999,
                    falseDowns, timeWait, results);
        }
    }

    record Flip(int targets, long firstVerdict, long lastVerdict, List<long[]> batches) {
        @Override
        public String toString() {
            if (batches.isEmpty()) return "flip: no target went down in time (the checker is starved: see lateness)";
            long lastBatch = batches.getLast()[0];
            return String.format(Locale.ROOT, "flip of %d targets: verdicts over %d ms; %d batches (= swaps) of sizes %s; "
                            + "last batch %d ms after the last verdict", targets, lastVerdict - firstVerdict, batches.size(),
                    batches.stream().map(b -> Long.toString(b[1])).toList(), lastBatch - lastVerdict);
        }
    }

    /** Everything the listener sees; its methods run on the checker thread, readers synchronise. */
    static final class Stats implements HealthListener {
        final long[] lateness;
        int samples;
        boolean recording;
        long probes;
        final long[] codes = new long[Code.values().length];
        /** the first reason seen for each failure code, printed with the figures */
        final String[] reasons = new String[Code.values().length];
        boolean downsExpected;
        long falseDowns;
        final List<Transition> flipDowns = new ArrayList<>();
        final List<long[]> batches = new ArrayList<>(); // {delivered ms, downs in it}

        Stats(int n, int seconds) {
            lateness = new long[n * (seconds + 5)];
        }

        @Override
        public synchronized void probed(Target target, Result result, long latenessNanos) {
            if (!recording) return;
            probes++;
            codes[result.code().ordinal()]++;
            if (!result.ok() && reasons[result.code().ordinal()] == null) reasons[result.code().ordinal()] = result.reason();
            if (samples < lateness.length) lateness[samples++] = latenessNanos;
        }

        @Override
        public synchronized void changed(List<Transition> batch) {
            long downs = 0;
            for (Transition t : batch) {
                if (t.to() != State.DOWN) continue;
                downs++;
                if (!dropper(t.target()) || !downsExpected) falseDowns++;
                else flipDowns.add(t);
            }
            if (downs > 0 && downsExpected) batches.add(new long[] {System.currentTimeMillis(), downs});
        }

        synchronized Flip flip(long since) {
            long first = flipDowns.stream().mapToLong(Transition::atMillis).min().orElse(since);
            long last = flipDowns.stream().mapToLong(Transition::atMillis).max().orElse(since);
            return new Flip(flipDowns.size(), first, last, List.copyOf(batches));
        }

        void awaitStates(HealthChecker checker, List<Target> which, State state, int count, int maxSeconds) throws InterruptedException {
            long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
            while (System.nanoTime() < deadline) {
                long in = which.stream().filter(t -> checker.health(t).state() == state).count();
                if (in >= count) return;
                Thread.sleep(100);
            }
            long in = which.stream().filter(t -> checker.health(t).state() == state).count();
            System.out.printf("only %d of %d targets %s after %d s%n", in, count, state.label(), maxSeconds);
        }

        Window measure(Thread checker, int seconds, String name) throws Exception {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long falseBefore;
            synchronized (this) {
                samples = 0;
                probes = 0;
                Arrays.fill(codes, 0);
                recording = true;
                falseBefore = falseDowns;
            }
            long cpu0 = mx.getThreadCpuTime(checker.threadId());
            long t0 = System.nanoTime();
            long timeWait = 0;
            for (int s = 0; s < seconds; s++) {
                Thread.sleep(1000);
                timeWait = Math.max(timeWait, timeWait());
            }
            long cpu = mx.getThreadCpuTime(checker.threadId()) - cpu0;
            double wall = System.nanoTime() - t0;
            synchronized (this) {
                recording = false;
                long[] sorted = Arrays.copyOf(lateness, samples);
                Arrays.sort(sorted);
                StringBuilder results = new StringBuilder();
                for (Code c : Code.values()) if (codes[c.ordinal()] > 0) results.append(c).append(' ').append(codes[c.ordinal()]).append(' ');
                return new Window(name, 100.0 * cpu / wall, probes / (wall / 1e9), pct(sorted, 0.5), pct(sorted, 0.99),
                        pct(sorted, 0.999), falseDowns - falseBefore, timeWait, results.toString().strip());
            }
        }

        private static double pct(long[] sorted, double p) {
            return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))] / 1e6;
        }

        /** Sockets in TIME_WAIT in this namespace (the benchmark runs in one of its own). */
        private static long timeWait() throws Exception {
            Process p = new ProcessBuilder("ss", "-Htan", "state", "time-wait").redirectErrorStream(true).start();
            long lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().count();
            p.waitFor();
            return lines;
        }
    }

    /** tcp targets: accept, then nothing (the checker resets the connection). */
    @ChannelHandler.Sharable
    static final class Ignore extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** http targets: answer 200 to the first bytes of a request, then close. */
    @ChannelHandler.Sharable
    static final class HttpOk extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(OK)).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
