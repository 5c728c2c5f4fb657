package io.vgw.bench;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.FileDescriptor;
import io.vgw.health.Check;
import io.vgw.health.Code;
import io.vgw.health.HealthChecker;
import io.vgw.health.HealthListener;
import io.vgw.health.Result;
import io.vgw.health.State;
import io.vgw.health.Target;
import io.vgw.health.Transition;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The health checker at scale (bench/health runs it as root): N targets, every 1 s, on the checker's one thread, in a
 * namespace of its own; the servers are another process in a second namespace behind a veth pair (their side of
 * each handshake is their machine's work, as in production): 40 addresses x N/40 ports, each port a listener on
 * 0.0.0.0 ({@link Listener}).
 *
 * <ol>
 *   <li>all healthy: checker thread CPU, the server process's and the whole machine's CPU, probe-start lateness
 *       p50/p99/p99.9, false downs, TIME_WAIT sockets of the checker;
 *   <li>flip: half the ports fall silent (the servers' namespace has no route for their SYN-ACKs). Those targets
 *       fall (L4TOUT x fall); counted: batches delivered (each one rebuild and swap in the gateway) and how long
 *       after the last verdict the last batch came;
 *   <li>half silent: the same figures with half of the targets timing out.
 * </ol>
 * Not a test: it times, and sleeps between samples on purpose.
 * Usage: HealthRun tcp|http TARGETS SECONDS SERVER_COMMAND... (the command starts {@code HealthRun serve tcp|http
 * TARGETS} in the servers' namespace); the servers print "ready", take "flip" on stdin and end at its end.
 */
public final class HealthRun {
    private static final int ADDRESSES = 40;
    /** the servers' addresses: 198.18.1.1..40 (RFC 2544's benchmarking range; bench/health puts them on the veth) */
    private static final int FIRST_ADDRESS = 0xc6120101;
    private static final int FIRST_PORT = 20000;
    /** USER_HZ: the unit of /proc/stat and /proc/PID/stat */
    private static final double TICK_NANOS = 1e7;
    private static final byte[] OK = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK11 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws Exception {
        if (args[0].equals("serve")) {
            serve(args[1].startsWith("http"), Integer.parseInt(args[2]));
            return;
        }
        boolean http = args[0].startsWith("http");
        int n = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        Check check = http ? httpCheck(!args[0].equals("http-new"))
                : Check.tcp(Duration.ofSeconds(1), Duration.ofMillis(500), 2, 3);
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < n; i++) targets.add(new Target(FIRST_ADDRESS + i % ADDRESSES, FIRST_PORT + i / ADDRESSES, check));

        Process servers = new ProcessBuilder(Arrays.asList(args).subList(3, args.length))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (var control = new PrintStream(servers.getOutputStream(), true, StandardCharsets.US_ASCII);
             var said = new BufferedReader(new InputStreamReader(servers.getInputStream(), StandardCharsets.US_ASCII))) {
            if (!"ready".equals(said.readLine())) throw new IllegalStateException("the servers did not start");
            System.gc();
            long heapBefore = usedHeap();
            Stats stats = new Stats(targets, seconds, servers.pid());
            try (HealthChecker checker = new HealthChecker(HealthChecker.Options.DEFAULTS, stats)) {
                Thread thread = checker.thread();
                long t0 = System.nanoTime();
                checker.setTargets(targets);
                stats.awaitStates(State.UP, false, n, 15);
                System.out.printf(Locale.ROOT, "%s: %d targets up in %.1f s%n", args[0], n, (System.nanoTime() - t0) / 1e9);
                Thread.sleep(3000);
                Window healthy = stats.measure(thread, seconds, "all healthy");
                System.gc();
                long heapChecker = usedHeap() - heapBefore;

                stats.downsExpected = true;
                long flipStart = System.currentTimeMillis();
                control.println("flip"); // the servers' namespace drops every packet to the odd ports
                List<Target> droppers = new ArrayList<>();
                for (Target t : targets) if (dropper(t)) droppers.add(t);
                stats.awaitStates(State.DOWN, true, droppers.size(), 30);
                Thread.sleep(1000); // the last batch
                Flip flip = stats.flip(flipStart);
                Thread.sleep(2000);
                Window half = stats.measure(thread, seconds, "half silent");

                System.out.println();
                System.out.printf(Locale.ROOT, "%-12s %7s %9s %8s %8s %9s %9s %7s %7s %8s %10s %9s %7s  %s%n", args[0] + " x" + n,
                        "cpu %", "probes/s", "us/probe", "server %", "machine %", "us/probe", "p50 ms", "p99 ms",
                        "p99.9 ms", "false down", "TIME_WAIT", "B/probe", "results");
                for (Window w : List.of(healthy, half)) System.out.println(w.row());
                System.out.printf(Locale.ROOT, "heap of the checker (used after GC): %.1f MiB%n", heapChecker / 1048576.0);
                System.out.println(flip);
                for (Code c : Code.values()) if (stats.reasons[c.ordinal()] != null) System.out.println("first " + c + ": " + stats.reasons[c.ordinal()]);
            }
        } finally {
            servers.getOutputStream().close(); // the servers end at the end of their input
            if (!servers.waitFor(10, TimeUnit.SECONDS)) servers.destroyForcibly();
        }
    }

    /**
     * http: on a kept connection ({@code reuse_connection: true}), or a new connection per probe (http-new, the
     * config's default). A baseline checker from before kept connections has no choice: its http is a new connection
     * per probe.
     */
    static Check httpCheck(boolean reuse) {
        Check c = Check.http("/healthz", 200, Duration.ofSeconds(1), Duration.ofMillis(500), 2, 3);
        try {
            return c.withReuse(reuse);
        } catch (NoSuchMethodError baseline) {
            return c;
        }
    }

    /** The servers' process: listeners on every port until stdin ends; "flip" makes the odd ports silent. */
    static void serve(boolean http, int n) throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            int ports = (n + ADDRESSES - 1) / ADDRESSES;
            IoEventLoop loop = (IoEventLoop) group.next();
            for (int p = 0; p < ports; p++) new Listener(loop, FIRST_PORT + p, http);
            System.out.println("ready");
            System.out.flush();
            var commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
            for (String line; (line = commands.readLine()) != null; ) {
                if (!line.equals("flip")) continue;
                // the servers' answers from odd ports have no route (SYN-ACKs vanish): servers that are silent, not
                // refusing (tc's drop action may be missing from a kernel; policy routing is always there)
                Process ip = new ProcessBuilder("ip", "-batch", "-").inheritIO().redirectInput(ProcessBuilder.Redirect.PIPE).start();
                try (var rules = new PrintStream(ip.getOutputStream(), false, StandardCharsets.US_ASCII)) {
                    for (int p = 1; p < ports; p += 2) rules.println("rule add pref 100 ipproto tcp sport " + (FIRST_PORT + p) + " blackhole");
                }
                if (ip.waitFor() != 0) throw new IllegalStateException("ip rule add ... blackhole failed");
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Target i is at 198.18.1.(1 + i % 40), port 20000 + i / 40; odd ports fall silent in the flip. */
    static boolean dropper(Target t) {
        return (t.port() - FIRST_PORT) % 2 == 1;
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** CPU figures in % of one core: the checker thread, the servers' process, every CPU of the machine. */
    record Window(String name, double cpu, double rate, double server, double machine, double p50, double p99,
                  double p999, long falseDowns, long timeWait, double bytesPerProbe, String results) {
        String row() {
            return String.format(Locale.ROOT, "%-12s %7.1f %9.0f %8.1f %8.1f %9.1f %9.1f %7.2f %7.2f %8.2f %10d %9d %7.0f  %s",
                    name, cpu, rate, cpu * 1e4 / rate, server, machine, machine * 1e4 / rate, p50, p99, p999,
                    falseDowns, timeWait, bytesPerProbe, results);
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

        final long serverPid;

        /** targets in each state, of all and of the droppers (counted from the transitions) */
        final int[] allIn = new int[State.values().length];
        final int[] droppersIn = new int[State.values().length];

        Stats(List<Target> targets, int seconds, long serverPid) {
            lateness = new long[targets.size() * (seconds + 5)];
            this.serverPid = serverPid;
            allIn[State.UNKNOWN.ordinal()] = targets.size();
            for (Target t : targets) if (dropper(t)) droppersIn[State.UNKNOWN.ordinal()]++;
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
                allIn[t.from().ordinal()]--;
                allIn[t.to().ordinal()]++;
                if (dropper(t.target())) {
                    droppersIn[t.from().ordinal()]--;
                    droppersIn[t.to().ordinal()]++;
                }
                if (t.to() != State.DOWN) continue;
                downs++;
                if (!dropper(t.target()) || !downsExpected) falseDowns++;
                else flipDowns.add(t);
            }
            if (downs > 0 && downsExpected) batches.add(new long[] {System.currentTimeMillis(), downs});
            notifyAll();
        }

        synchronized Flip flip(long since) {
            long first = flipDowns.stream().mapToLong(Transition::atMillis).min().orElse(since);
            long last = flipDowns.stream().mapToLong(Transition::atMillis).max().orElse(since);
            return new Flip(flipDowns.size(), first, last, List.copyOf(batches));
        }

        /**
         * Waits until {@code count} targets (of the droppers only, or of all) are in {@code state}, counted from the
         * transitions: polling every target's verdict (a map lookup each, ten times a second) took 16 % of the checker's
         * CPU (this JVM is pinned to it) while the checker started, 14,000 targets.
         */
        synchronized void awaitStates(State state, boolean droppersOnly, int count, int maxSeconds) throws InterruptedException {
            long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
            int[] in = droppersOnly ? droppersIn : allIn;
            for (long left; in[state.ordinal()] < count && (left = deadline - System.nanoTime()) > 0; ) {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            if (in[state.ordinal()] < count) {
                System.out.printf("only %d of %d targets %s after %d s%n", in[state.ordinal()], count, state.label(), maxSeconds);
            }
        }

        Window measure(Thread checker, int seconds, String name) throws Exception {
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long falseBefore;
            synchronized (this) {
                samples = 0;
                probes = 0;
                Arrays.fill(codes, 0);
                recording = true;
                falseBefore = falseDowns;
            }
            long cpu0 = mx.getThreadCpuTime(checker.threadId());
            long allocated0 = mx.getThreadAllocatedBytes(checker.threadId());
            long server0 = processTicks(serverPid);
            long machine0 = machineTicks();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long cpu = mx.getThreadCpuTime(checker.threadId()) - cpu0;
            long allocated = mx.getThreadAllocatedBytes(checker.threadId()) - allocated0;
            double wall = System.nanoTime() - t0;
            double server = 100 * (processTicks(serverPid) - server0) * TICK_NANOS / wall;
            double machine = 100 * (machineTicks() - machine0) * TICK_NANOS / wall;
            long[] sorted;
            long probed;
            StringBuilder results = new StringBuilder();
            synchronized (this) {
                recording = false;
                sorted = Arrays.copyOf(lateness, samples);
                probed = probes;
                for (Code c : Code.values()) if (codes[c.ordinal()] > 0) results.append(c).append(' ').append(codes[c.ordinal()]).append(' ');
            }
            Arrays.sort(sorted);
            // counted once, after the window: a TIME_WAIT socket stays 60 s, so this sees every one the window left;
            // ss (pinned to the checker's CPU with this JVM) dumping 10,000 sockets every second delayed the
            // checker's probes by milliseconds, its p99 lateness measured ss
            long timeWait = timeWait();
            return new Window(name, 100.0 * cpu / wall, probed / (wall / 1e9), server, machine, pct(sorted, 0.5), pct(sorted, 0.99),
                    pct(sorted, 0.999), falseDowns - falseBefore, timeWait, (double) allocated / Math.max(1, probed),
                    results.toString().strip());
        }

        private static double pct(long[] sorted, double p) {
            return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))] / 1e6;
        }

        /** user + system time of a process, all its threads (fields 14 and 15 of /proc/PID/stat, after the name) */
        private static long processTicks(long pid) throws IOException {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }

        /** busy time of every CPU: user, nice, system, irq, softirq and steal of /proc/stat's first line */
        private static long machineTicks() throws IOException {
            String[] f = Files.readString(Path.of("/proc/stat")).lines().findFirst().orElseThrow().split(" +");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) busy += Long.parseLong(f[i]);
            return busy;
        }

        /** Sockets in TIME_WAIT in this namespace (the benchmark runs in one of its own). */
        private static long timeWait() throws Exception {
            Process p = new ProcessBuilder("ss", "-Htan", "state", "time-wait").redirectErrorStream(true).start();
            long lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().count();
            p.waitFor();
            return lines;
        }
    }

    /**
     * A listening port of the servers' process, level-triggered on its event loop: accepts what is there (bounded),
     * answers http with 200 (the request is in: the listener defers accepting until data came). An HTTP/1.0 request:
     * closes (with TCP_CORK the response and the FIN are one segment). An HTTP/1.1 one: keeps the connection
     * ({@link Kept}) and answers each request on it. No Netty channel per connection: the servers stand for other
     * machines, their own cost must not limit the run.
     */
    static final class Listener implements EpollIoHandle {
        private static final int IPPROTO_TCP = 6;
        private static final int TCP_DEFER_ACCEPT = 9;
        private static final int TCP_CORK = 3;
        private final LinuxSocket socket = LinuxSocket.newSocketStream(false);
        private final boolean http;
        private final byte[] peer = new byte[26];
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(4096);

        private final IoEventLoop loop;

        Listener(IoEventLoop loop, int port, boolean http) throws Exception {
            this.loop = loop;
            this.http = http;
            socket.setReuseAddress(true);
            if (http) {
                socket.setIntOpt(IPPROTO_TCP, TCP_DEFER_ACCEPT, 1);
                // inherited by accepted sockets: the response waits for the close, so response and FIN are one segment
                socket.setIntOpt(IPPROTO_TCP, TCP_CORK, 1);
            }
            socket.bind(new InetSocketAddress(port));
            socket.listen(4096);
            loop.register(this).sync().getNow().submit(EpollIoOps.EPOLLIN);
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            try {
                for (int i = 0; i < 256; i++) {
                    int fd = socket.accept(peer);
                    if (fd < 0) return; // EAGAIN
                    io.netty.channel.unix.Socket c = new io.netty.channel.unix.Socket(fd);
                    try {
                        if (http) {
                            int n = c.read(buffer.clear(), 0, buffer.capacity()); // the request (only its version is looked at)
                            if (keepAlive(buffer, n)) {
                                c.setIntOpt(IPPROTO_TCP, TCP_CORK, 0); // answers go out as written
                                Kept k = new Kept(c, buffer);
                                k.answer();
                                k.registration = loop.register(k).getNow(); // done at once on the loop's own thread
                                if (k.registration == null) throw new IllegalStateException("cannot register a connection");
                                k.registration.submit(EpollIoOps.EPOLLIN);
                                continue;
                            }
                            c.write(buffer.clear().put(OK).flip(), 0, OK.length);
                        }
                    } catch (IOException e) {
                        // reset by the checker already: closed alike
                    }
                    c.close();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** "GET /healthz HTTP/1.1\r\n...": the first line ends in 1.1 */
        private static boolean keepAlive(ByteBuffer request, int n) {
            for (int i = 0; i < n; i++) if (request.get(i) == '\r') return i > 0 && request.get(i - 1) == '1';
            return false;
        }

        @Override
        public FileDescriptor fd() {
            return socket;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A kept connection of the servers: each read is a request (the checker sends one at a time), answered 200. */
    static final class Kept implements EpollIoHandle {
        private final io.netty.channel.unix.Socket socket;
        private final ByteBuffer buffer;
        IoRegistration registration;

        Kept(io.netty.channel.unix.Socket socket, ByteBuffer buffer) {
            this.socket = socket;
            this.buffer = buffer;
        }

        void answer() throws IOException {
            socket.write(buffer.clear().put(OK11).flip(), 0, OK11.length);
        }

        @Override
        public void handle(IoRegistration r, IoEvent event) {
            try {
                int n = socket.read(buffer, 0, buffer.capacity());
                if (n > 0) answer();
                else if (n < 0) close();
            } catch (IOException e) { // reset by the checker
                close();
            }
        }

        @Override
        public FileDescriptor fd() {
            return socket;
        }

        /** Close first: the kernel drops a closed socket from the epoll set. */
        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // released whatever close(2) says
            }
            if (registration != null) registration.cancel();
            registration = null;
        }
    }
}
