package io.vgw.gateway;

import io.vgw.api.Status;
import io.vgw.config.Config;
import io.vgw.config.Ipv4;
import io.vgw.config.LbNode;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import io.vgw.frr.Announcer;
import io.vgw.config.load.SourceFile;
import io.vgw.gateway.control.GatewayControl;
import io.vgw.gateway.dataplane.ConnTable;
import io.vgw.gateway.dataplane.Counter;
import io.vgw.gateway.dataplane.ForwardingState;
import io.vgw.gateway.dataplane.Pipeline;
import io.vgw.gateway.dataplane.Worker;
import io.vgw.gateway.dpdk.Eal;
import io.vgw.gateway.metrics.HealthMetrics;
import io.vgw.gateway.port.LinkPort;
import io.vgw.gateway.port.XdpVips;
import io.vgw.gateway.route.KernelNextHops;
import io.vgw.gateway.route.NextHops;
import io.vgw.gateway.state.HealthPolicy;
import io.vgw.gateway.state.ServerIds;
import io.vgw.gateway.state.StateBuilder;
import io.vgw.gateway.dataplane.Ticks;
import io.vgw.health.Health;
import io.vgw.health.HealthChecker;
import io.vgw.health.HealthListener;
import io.vgw.health.Result;
import io.vgw.health.Target;
import io.vgw.health.Transition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway daemon's core: one DPDK port, a worker per queue, and the control side that builds forwarding states
 * and publishes each by one atomic reference swap. Workers keep their connection tables across swaps, so a config
 * change never resets a flow whose server stays in its pool. {@link Daemon} wires it to the control API and metrics.
 *
 * <p>Control methods are synchronized with each other (config applies, next-hop refreshes, health changes arrive
 * from different threads); the workers never take that lock.
 *
 * <p>Health: the {@link HealthChecker} probes every target of the live config on its own thread; its coalesced
 * verdicts come here as data, and each batch is one rebuild (only the services whose set of servers left out
 * changed get new Maglev tables) and one swap, as a config change is. {@link HealthPolicy} decides what verdicts mean.
 */
public final class Gateway implements GatewayControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final GatewaySettings settings;
    private final LinkPort link;
    private final long portMac;
    private final AtomicReference<ForwardingState> state = new AtomicReference<>(ForwardingState.empty());
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final StateBuilder builder;
    private final NextHops nextHops;
    private final BackgroundTasks tasks = new BackgroundTasks();
    private final long started = System.nanoTime();
    /** Per server id, the counts it had when it was last given to another server (subtracted: counters restart). */
    private final long[] serverBaseline;

    private Config config;
    private String revision = "";
    private List<SourceFile> files = List.of();
    private Map<Integer, Long> macs = Map.of();
    private final HealthChecker checker;
    /** health rebuilds and start-up hold rechecks, off the checker's thread */
    private final ScheduledExecutorService rebuilds = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vgw-health-rebuild");
        t.setDaemon(true);
        return t;
    });
    private final HealthMetrics healthMetrics = new HealthMetrics();
    /** the last health decision and what was published with it */
    private HealthPolicy.Decision decision = HealthPolicy.Decision.NONE;
    private Set<String> published = Set.of();
    private ScheduledFuture<?> recheck;
    private Announcer announcer;

    private Gateway(GatewaySettings settings) {
        this.settings = settings;
        Eal.current().orElseGet(() -> Eal.init(settings.eal()));
        int queues = settings.queues();
        link = LinkPort.open(settings);
        portMac = mac(link.port().macAddress());
        builder = new StateBuilder(new ServerIds(settings.maxServers()), settings.forwardingBudget());
        serverBaseline = new long[2 * settings.maxServers()];
        nextHops = settings.nextHop().equals("kernel")
                ? new KernelNextHops(settings.kernelInterface().orElseThrow(() -> new IllegalArgumentException(
                        "port.next_hop is kernel but the port names no interface; set port.iface, add iface=IF to port.device, "
                                + "or set a fixed next_hop MAC")))
                : NextHops.fixed(NextHops.parseMac(settings.nextHop()));
        for (int q = 0; q < queues; q++) {
            Pipeline pipeline = new Pipeline(new ConnTable(settings.connEntries()), settings.address(), portMac,
                    settings.mtu(), settings.maxServers());
            int cpu = settings.cpus().isEmpty() ? -1 : settings.cpus().get(q % settings.cpus().size());
            Worker worker = new Worker(link.port().id(), q, pipeline, state, settings.spin(), cpu);
            Thread thread = new Thread(worker, "vgw-worker-" + q);
            thread.setDaemon(true);
            workers.add(worker);
            threads.add(thread);
        }
        checker = settings.healthChecks() ? new HealthChecker(checkerOptions(settings), new HealthListener() {
            @Override
            public void probed(Target target, Result result, long latenessNanos) {
                healthMetrics.probed(target, result, latenessNanos);
            }

            @Override
            public void changed(List<Transition> transitions) {
                healthMetrics.changed(transitions);
                rebuilds.execute(Gateway.this::healthChanged); // never rebuild on the checker's thread
            }
        }) : null;
    }

    private static HealthChecker.Options checkerOptions(GatewaySettings settings) {
        HealthChecker.Options options = HealthChecker.Options.DEFAULTS;
        if (settings.healthSource().isPresent()) {
            int a = settings.healthSource().get();
            try {
                options = options.withSource(java.net.InetAddress.getByAddress(
                        new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a}));
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError("4 bytes are an IPv4 address", e);
            }
        }
        return options;
    }

    /**
     * Starts the port and makes a worker per queue, not yet running: apply the initial config first, then
     * {@link #startWorkers}, so no packet meets an empty state (and is passed to the kernel) on the way up.
     */
    public static Gateway open(GatewaySettings settings) {
        return new Gateway(settings);
    }

    /** Starts the workers and the next-hop refresh; until a config is applied, they pass every frame to the kernel. */
    public synchronized void startWorkers() {
        if (threads.getFirst().getState() != Thread.State.NEW) return;
        threads.forEach(Thread::start);
        if (settings.nextHop().equals("kernel")) tasks.every("next-hops", Duration.ofSeconds(1), this::refreshNextHops);
        if (link.vips().isPresent()) tasks.every("xdp-vips", Duration.ofSeconds(1), this::steerVips);
    }

    private static long mac(byte[] bytes) {
        long mac = 0;
        for (byte b : bytes) mac = mac << 8 | (b & 0xff);
        return mac;
    }

    public GatewaySettings settings() {
        return settings;
    }

    public List<Worker> workers() {
        return workers;
    }

    /** The port with its kind (AF_XDP, AF_PACKET, a device) and, for AF_XDP, the XDP program's VIPs. */
    public LinkPort link() {
        return link;
    }

    public ForwardingState state() {
        return state.get();
    }

    /**
     * The "service/server" label of every server of the live config, the index being its id, null for ids no live
     * server holds (a copy, safe to call from any thread: metrics label {@link #serverCounters()} with it). The
     * server part is the label as the config writes it; the id follows the server's identity.
     */
    public synchronized List<String> serverLabels() {
        List<String> labels = new ArrayList<>();
        if (config == null) return labels;
        for (ServiceConfig s : config.services()) {
            for (RealServer r : s.servers()) {
                int id = builder.ids().id(new ServerIds.Pair(s.name(), s.key(r)));
                if (id < 0) continue; // a service held out of the state (health) has no ids yet
                while (labels.size() <= id) labels.add(null);
                labels.set(id, s.name() + "/" + r.label());
            }
        }
        return labels;
    }

    /**
     * Makes {@code next} the live config in one swap, or refuses it and changes nothing. Every worker sees either
     * the old state or the new one, never a mix; connection entries stay, so flows to servers still in their pool
     * keep their server.
     */
    @Override
    public synchronized Applied apply(Config next, String nextRevision, List<SourceFile> nextFiles) {
        Optional<LbNode> self = next.cluster().nodes().stream().filter(n -> n.name().equals(settings.node())).findFirst();
        if (self.isEmpty()) {
            return new Applied(false, state.get().generation(), List.of("cluster " + next.cluster().name()
                    + " does not list this node " + settings.node() + " (gateway.yaml gateway); add it to the cluster's "
                    + "nodes, or send this gateway its own cluster's config"));
        }
        if (self.get().address() != settings.address()) {
            return new Applied(false, state.get().generation(), List.of("cluster.yaml gives node " + settings.node()
                    + " the address " + Ipv4.format(self.get().address()) + " but this gateway runs with "
                    + Ipv4.format(settings.address()) + " (gateway.yaml address); make them agree"));
        }
        try {
            // The same servers (a reweight, a drain): the refresh keeps their next hops current every second, so the
            // apply does not ask the kernel again (two `ip` runs, tens of ms on a busy host, on the push -> live path).
            Set<Integer> servers = addresses(next);
            Map<Integer, Long> resolved = servers.equals(macs.keySet()) && !macs.containsValue(0L) ? macs : nextHops.resolve(servers);
            builder.requireFits(next, Map.of()); // health only lowers weights: the same table sizes
            if (link.vips().isPresent()) XdpVips.requireFits(vips(next));
            ForwardingState built = swap(next, resolved);
            config = next;
            revision = nextRevision;
            files = List.copyOf(nextFiles);
            macs = resolved;
            if (checker != null) checker.setTargets(HealthPolicy.targets(next)); // unchanged checks keep their verdicts
            try {
                steerVips();
            } catch (RuntimeException e) { // the xdp-vips task retries every second and counts the failure
                LOG.error("the XDP program's VIPs could not be updated; retrying", e);
            }
            LOG.info("applied revision {} as generation {}: {} services", nextRevision, built.generation(), next.services().size());
            return new Applied(true, built.generation(), List.of());
        } catch (IllegalStateException e) {
            return new Applied(false, state.get().generation(), List.of(e.getMessage()));
        }
    }

    /** A batch of health verdicts (or the end of a start-up hold): one rebuild and one swap, if anything changed. */
    synchronized void healthChanged() {
        if (config == null) return;
        try {
            swap(config, macs);
        } catch (RuntimeException e) {
            LOG.error("rebuilding after health changes failed; the previous state stays live", e);
        }
    }

    /** A start-up hold ended: decide again (and plan the next recheck, if some hold is still running). */
    private synchronized void holdEnded() {
        recheck = null;
        healthChanged();
    }

    public HealthMetrics healthMetrics() {
        return healthMetrics;
    }

    /**
     * Waits until every service of the live config is published (its servers' first probes answered, or its hold
     * ended; at most the longest hold and a second): a starting daemon reports ready with tables built from known
     * health. False when some service is still held.
     */
    public boolean awaitPublished() throws InterruptedException {
        long holdMs = 0;
        synchronized (this) {
            if (config != null) {
                for (ServiceConfig s : config.services()) {
                    Target t = s.servers().isEmpty() ? null : HealthPolicy.target(s, s.servers().getFirst());
                    if (t != null) holdMs = Math.max(holdMs, HealthPolicy.hold(t.check()));
                }
            }
        }
        long deadline = System.nanoTime() + (holdMs + 1000) * 1_000_000L;
        while (true) {
            synchronized (this) {
                if (config == null || published.size() == config.services().size()) return true;
            }
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20); // polled by a starting daemon only
        }
    }

    /** Per "service/server" of the live config, whether the server is in its table as up. */
    public synchronized Map<String, Boolean> serversUp() {
        Map<String, Boolean> up = new LinkedHashMap<>();
        if (config == null) return up;
        for (ServiceConfig s : config.services()) {
            Set<Integer> out = decision.out().getOrDefault(s.name(), Set.of());
            boolean live = published.contains(s.name());
            for (RealServer r : s.servers()) up.put(s.name() + "/" + r.label(), live && !out.contains(r.address()));
        }
        return up;
    }

    /**
     * Re-reads next hops; swaps a new state only when a MAC changed. A failure keeps the last ones. The kernel is asked
     * without the lock: its two `ip` runs take tens to hundreds of ms on a busy host, and an apply must not wait them.
     */
    void refreshNextHops() {
        Set<Integer> servers;
        synchronized (this) {
            if (config == null) return;
            servers = addresses(config);
        }
        Map<Integer, Long> resolved = nextHops.resolve(servers);
        synchronized (this) {
            // An apply that changed the servers meanwhile resolved them itself; the next refresh looks again.
            if (!servers.equals(addresses(config)) || resolved.equals(macs)) return;
            swap(config, resolved);
            macs = resolved;
            LOG.info("next hops changed: {}", describe(resolved));
        }
    }

    @Override
    public synchronized Live live() {
        return new Live(config, revision, state.get().generation(), files);
    }

    /**
     * Builds the state for a config with the current health and the given next hops, and publishes it; services
     * held at start-up ({@link HealthPolicy}) are left out until their first probes answered.
     */
    private ForwardingState swap(Config c, Map<Integer, Long> nextHopMacs) {
        long now = System.currentTimeMillis();
        HealthPolicy.Decision d = checker == null ? decision : HealthPolicy.decide(c, checker::health, published, now);
        Config live = d.held().isEmpty() ? c : new Config(c.cluster(),
                c.services().stream().filter(s -> !d.held().contains(s.name())).toList());
        if (c == config && d.out().equals(decision.out()) && d.held().equals(decision.held())
                && d.failOpen().equals(decision.failOpen()) && nextHopMacs.equals(macs)) {
            if (!d.unsettled().equals(decision.unsettled())) { // the tables stay; only what may be announced moved
                decision = d;
                tellAnnouncer(c, nextHopMacs, d);
            }
            return state.get(); // nothing changed: no rebuild, no swap
        }
        ForwardingState built = builder.build(live, d.out(), a -> nextHopMacs.getOrDefault(a, 0L));
        List<Integer> reassigned = builder.ids().reassigned();
        if (!reassigned.isEmpty()) {
            // Quarantine is over, so no worker counts for these ids now: the snapshot is exact.
            long[] counts = sum(Pipeline::serverCounters, serverBaseline.length);
            for (int id : reassigned) {
                serverBaseline[2 * id] = counts[2 * id];
                serverBaseline[2 * id + 1] = counts[2 * id + 1];
            }
        }
        state.set(built);
        for (String s : d.failOpen()) {
            if (!decision.failOpen().contains(s)) LOG.warn("service {}: no server is up; failing open (every server gets new flows)", s);
        }
        for (String s : decision.failOpen()) {
            if (!d.failOpen().contains(s) && live.service(s).isPresent()) LOG.info("service {}: a server is up again; no longer failing open", s);
        }
        decision = d;
        published = live.services().stream().map(ServiceConfig::name).collect(java.util.stream.Collectors.toSet());
        if (d.recheckAt() != Long.MAX_VALUE && recheck == null) {
            recheck = rebuilds.schedule(this::holdEnded, Math.max(1, d.recheckAt() - now), TimeUnit.MILLISECONDS);
        }
        tellAnnouncer(c, nextHopMacs, d);
        return built;
    }

    /**
     * From now on, tells the announcer the live config's VIPs and, after every change, whether each has a healthy
     * server (one that is up with a weight above 0 in one of the VIP's services; with {@code announce: running}
     * any server counts as healthy).
     */
    public synchronized void announceTo(Announcer to) {
        announcer = to;
        if (config != null) tellAnnouncer(config, macs, decision);
    }

    /**
     * A VIP is fit to announce when one of its services can forward a new flow: a server up, of positive weight,
     * whose next hop is resolved (a gateway that just started announces only once it can forward).
     */
    private void tellAnnouncer(Config c, Map<Integer, Long> nextHopMacs, HealthPolicy.Decision d) {
        if (announcer == null) return;
        boolean running = c.cluster().announce() == io.vgw.config.ClusterConfig.Announce.RUNNING;
        Map<Integer, Boolean> healthy = new HashMap<>();
        Set<Integer> unready = new HashSet<>();
        for (ServiceConfig s : c.services()) {
            // held or unsettled (a server still unknown): this node's table may differ from the others', so flows
            // ECMP moves here could meet another server or the kernel; one such service keeps its whole VIP back
            if (d.held().contains(s.name()) || d.unsettled().contains(s.name())) unready.add(s.vip());
            // failing open: no server is up, so announce: healthy withdraws it
            boolean judged = running || !d.failOpen().contains(s.name());
            Set<Integer> out = d.out().getOrDefault(s.name(), Set.of());
            boolean any = judged && s.servers().stream().anyMatch(r -> nextHopMacs.getOrDefault(r.address(), 0L) != 0
                    && (running || r.weight() > 0 && !out.contains(r.address())));
            healthy.merge(s.vip(), any, Boolean::logicalOr);
        }
        unready.forEach(vip -> healthy.put(vip, false));
        announcer.vips(healthy);
    }

    private static String describe(Map<Integer, Long> macs) {
        Map<String, String> text = new LinkedHashMap<>();
        macs.forEach((a, m) -> text.put(Ipv4.format(a), m == 0 ? "unresolved" : NextHops.formatMac(m)));
        return text.toString();
    }

    /**
     * AF_XDP: the XDP program sends the live config's VIPs to the workers (only what changed is written, so a run
     * with the same VIPs costs nothing: the xdp-vips task repeats it every second to retry a failure).
     */
    private synchronized void steerVips() {
        if (config != null) link.vips().ifPresent(v -> v.set(vips(config)));
    }

    private static Set<Integer> vips(Config c) {
        return c.services().stream().map(ServiceConfig::vip).collect(Collectors.toSet());
    }

    private static Set<Integer> addresses(Config c) {
        Set<Integer> all = new HashSet<>();
        for (ServiceConfig s : c.services()) for (RealServer r : s.servers()) all.add(r.address());
        return all;
    }

    /** The background tasks (next-hop refresh) with their runs and failures. */
    public List<Status.Task> tasks() {
        return tasks.status();
    }

    /** Counters summed over workers, by {@link Counter}. */
    public long[] counters() {
        return sum(Pipeline::counters, Counter.values().length);
    }

    /** Packets (even index) and bytes (odd) per server id, summed over workers, since the id got its server. */
    public synchronized long[] serverCounters() {
        long[] counts = sum(Pipeline::serverCounters, serverBaseline.length);
        for (int i = 0; i < counts.length; i++) counts[i] -= serverBaseline[i];
        return counts;
    }

    private long[] sum(java.util.function.Function<Pipeline, long[]> perWorker, int length) {
        long[] sum = new long[length];
        for (Worker w : workers) {
            long[] c = perWorker.apply(w.pipeline());
            for (int i = 0; i < length; i++) sum[i] += c[i];
        }
        return sum;
    }

    /** Live connection entries over all workers (a scan: for status and metrics, not per packet). */
    public long connections() {
        int now = Ticks.now();
        long live = 0;
        for (Worker w : workers) live += w.pipeline().conns().live(now);
        return live;
    }

    @Override
    public synchronized Status status() {
        long[] counters = counters();
        Map<String, Long> named = new LinkedHashMap<>();
        for (Counter c : Counter.values()) named.put(c.metricName(), counters[c.ordinal()]);
        long[] perServer = serverCounters();
        List<Status.Service> services = new ArrayList<>();
        if (config != null) {
            for (ServiceConfig s : config.services()) {
                boolean held = !published.contains(s.name());
                var table = held ? null : builder.table(s.name());
                List<Status.Server> servers = new ArrayList<>();
                for (int i = 0; i < s.servers().size(); i++) {
                    RealServer r = s.servers().get(i);
                    int id = builder.ids().id(new ServerIds.Pair(s.name(), s.key(r)));
                    long mac = macs.getOrDefault(r.address(), 0L);
                    servers.add(new Status.Server(r.label(), r.weight(), state(s, r),
                            held ? 0 : (double) table.entries(i) / table.size(), mac == 0 ? null : NextHops.formatMac(mac),
                            id < 0 ? 0 : perServer[2 * id], id < 0 ? 0 : perServer[2 * id + 1], check(s, r)));
                }
                services.add(new Status.Service(s.name(), s.endpoint(), held, decision.failOpen().contains(s.name()), servers));
            }
        }
        long capacity = (long) workers.size() * (workers.isEmpty() ? 0 : workers.getFirst().pipeline().conns().capacity());
        return new Status(settings.node(), Ipv4.format(settings.address()), revision, state.get().generation(),
                (System.nanoTime() - started) / 1_000_000_000L, link.devargs(), link.kind().json(),
                link.fallback().orElse(null), NextHops.formatMac(portMac),
                workers.size(), connections(), capacity, named, tasks.status(), services);
    }

    /** What health checking says of a server: unchecked (no check, or checks disabled), unknown, up or down. */
    private Status.Health state(ServiceConfig s, RealServer r) {
        Target t = HealthPolicy.target(s, r);
        if (t == null || checker == null) return Status.Health.UNCHECKED;
        Health h = checker.health(t);
        if (h == null) return Status.Health.UNKNOWN;
        return switch (h.state()) {
            case UNKNOWN -> Status.Health.UNKNOWN;
            case UP -> Status.Health.UP;
            case DOWN -> Status.Health.DOWN;
        };
    }

    /** A server's last health check for status, null when it has none. */
    private Status.Check check(ServiceConfig s, RealServer r) {
        Target t = HealthPolicy.target(s, r);
        if (t == null || checker == null) return null;
        Health h = checker.health(t);
        if (h == null) return new Status.Check(null, null, 0, 0, null, t.endpoint());
        Result last = h.last();
        return new Status.Check(Instant.ofEpochMilli(h.sinceMillis()).toString(),
                last == null ? null : last.code().name(), last == null ? 0 : last.status(),
                last == null ? 0 : last.durationNanos() / 1e6, last == null ? null : last.reason(), t.endpoint());
    }

    @Override
    public void close() {
        if (checker != null) checker.close();
        rebuilds.shutdownNow();
        tasks.close();
        workers.forEach(Worker::stop);
        for (Thread t : threads) {
            if (t.getState() == Thread.State.NEW) continue;
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        link.close();
        workers.forEach(w -> w.pipeline().conns().close());
    }
}
