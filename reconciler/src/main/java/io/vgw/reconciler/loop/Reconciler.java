package io.vgw.reconciler.loop;

import io.vgw.config.Config;
import io.vgw.config.RealServer;
import io.vgw.config.ServiceConfig;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.config.load.SourceFile;
import io.vgw.plan.Plan;
import io.vgw.plan.Planner;
import io.vgw.api.ApplyReply;
import io.vgw.api.LiveConfig;
import io.vgw.api.LiveRevision;
import io.vgw.reconciler.git.CommitVerifier;
import io.vgw.reconciler.git.GitConfigSource;
import io.vgw.reconciler.git.GitException;
import io.vgw.reconciler.git.GitMirror;
import io.vgw.reconciler.git.Verification;
import io.vgw.reconciler.loop.ReconcileStatus.Attempt;
import io.vgw.reconciler.loop.ReconcileStatus.Condition;
import io.vgw.reconciler.loop.ReconcileStatus.Result;
import io.vgw.reconciler.loop.ReconcileStatus.Revision;
import io.vgw.reconciler.state.StateStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconcile loop of one LB node, shaped like Flux's GitRepository controller: guards first (suspended? pinned?),
 * then an ordered list of steps ({@link Step}) that each either pass or stop the attempt with a reason, and the
 * status always written at the end. One thread owns all of it; operators, the webhook and the timer only queue
 * commands, so a reconcile never races another.
 *
 * <p>Never half-applied: the gateway swaps a whole config or nothing, so a revision that fails any step leaves live
 * state as it was. Never lost: the config is recorded in the state directory before the gateway is asked
 * ({@link StateStore}), and re-applied from there whenever the gateway reports it lost it (generation 0 or another
 * revision), without Git. A revision that fails for its own reasons is not tried again until the ref moves.
 */
public final class Reconciler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    /** How often the gateway is asked whether it still runs the applied config (a restart is repaired this fast). */
    static final Duration WATCH = Duration.ofSeconds(1);
    static final int HISTORY = 10;
    /**
     * Rounds of the idle warm-up, the longest it runs between two looks at the queue, and its whole budget: a big
     * config's round (10,000 files) warms the code alone and takes seconds, 30 of them would take the node's CPU.
     */
    static final int WARM_ROUNDS = 30;
    static final Duration WARM_SLICE = Duration.ofMillis(50);
    static final Duration WARM_BUDGET = Duration.ofSeconds(2);
    /** Packs in the mirror before it is repacked (each fetch adds one). */
    static final int MAX_PACKS = 32;

    private enum Kind { TRIGGER, SUSPEND, RESUME, PIN, STOP }

    /** {@code queued}: System.nanoTime() when it was asked for (the log shows how long it waited). */
    private record Command(Kind kind, String arg, CompletableFuture<Attempt> done, long queued) {}

    /** Stops an attempt: the failing step and why. {@code revisionFault}: the commit itself is bad, do not retry it. */
    private static final class StepFailure extends Exception {
        final Step step;
        final Result result;
        final boolean revisionFault;
        final List<String> problems;

        StepFailure(Step step, Result result, boolean revisionFault, String message, List<String> problems) {
            super(message, null, false, false);
            this.step = step;
            this.result = result;
            this.revisionFault = revisionFault;
            this.problems = problems;
        }

        static StepFailure transientFailure(Step step, String message) {
            return new StepFailure(step, Result.FAILED, false, message, List.of());
        }

        static StepFailure bad(Step step, Result result, String message, List<String> problems) {
            return new StepFailure(step, result, true, message, problems);
        }
    }

    private final ReconcilerSettings settings;
    private final GitMirror mirror;
    private final CommitVerifier verifier;
    private final GatewayLink gateway;
    private final StateStore store;
    private final Clock clock;
    private final ReconcilerMetrics metrics;
    private final LinkedBlockingQueue<Command> queue = new LinkedBlockingQueue<>();
    private final Thread thread;

    // Owned by the loop thread.
    private StateStore.Control control = StateStore.Control.NONE;
    /** applied.json as last written (read at start, then kept here: the watch compares with it every second). */
    private StateStore.Applied appliedRecord;
    /** The last config validated here and the files it came from: a plan against the same live files reuses it. */
    private List<SourceFile> parsedFiles = List.of();
    private Config parsed;
    /**
     * Each file read (parsed, schema-checked) once: a commit that changes one file reads only that one; the rules
     * across files run on every load. Holds the applied config's files and those of the revision being validated.
     */
    private final ConfigLoader.Memo memo = new ConfigLoader.Memo();
    /** The idle warm-up's rounds so far, its time, and the change it plans ({@link #warmUp}). */
    private int warmRounds;
    private long warmNanos;
    private Config warmChange;
    private boolean rehearseGit = true;
    private Revision applied;
    private Revision attempted;
    private final Map<String, Condition> conditions = new LinkedHashMap<>();
    private Attempt lastError;
    /** The verifier's trust fingerprint the applied revision was last verified under (null: not yet). */
    private String verifiedUnder;
    private Instant nextPoll;
    /** Polls fall on a grid: this instant plus whole intervals (its random phase keeps nodes out of step). */
    private final Instant pollGrid;
    private final ArrayDeque<Attempt> history = new ArrayDeque<>();
    /** The current attempt's time per step, for its log line (where the time from push to applied goes). */
    private final EnumMap<Step, Long> stepNanos = new EnumMap<>(Step.class);
    private long queuedNanos;
    private String compactProblem;
    /** Why the last GET /v1/config failed (null: it answered). */
    private String liveProblem;
    private volatile ReconcileStatus status;

    /**
     * @param verifier null: signatures are not checked (verify.mode off)
     */
    public Reconciler(ReconcilerSettings settings, GitMirror mirror, CommitVerifier verifier, GatewayLink gateway,
                      StateStore store, Clock clock, ReconcilerMetrics metrics) {
        this.settings = settings;
        this.mirror = mirror;
        this.verifier = verifier;
        this.gateway = gateway;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        for (String type : List.of("fetched", "verified", "valid", "applied")) {
            conditions.put(type, new Condition(type, false, "Unknown", "not checked yet", clock.instant()));
        }
        this.nextPoll = clock.instant();
        long phase = (long) (settings.pollInterval().toMillis() * settings.jitter() * ThreadLocalRandom.current().nextDouble());
        this.pollGrid = nextPoll.plusMillis(phase);
        publish();
        this.thread = Thread.ofPlatform().name("vgw-reconcile").unstarted(this::run);
    }

    public Reconciler start() {
        thread.start();
        return this;
    }

    public ReconcileStatus status() {
        return status;
    }

    /** Fetch and reconcile now (the webhook, an operator); the answer is the attempt. */
    public CompletableFuture<Attempt> trigger(String why) {
        return submit(Kind.TRIGGER, why);
    }

    public CompletableFuture<Attempt> suspend() {
        return submit(Kind.SUSPEND, null);
    }

    /** Clears suspended and pinned, and follows the ref again at once. */
    public CompletableFuture<Attempt> resume() {
        return submit(Kind.RESUME, null);
    }

    /** Applies {@code revision} (a commit id, tag or branch in the repository) and stops following the ref. */
    public CompletableFuture<Attempt> pin(String revision) {
        return submit(Kind.PIN, revision);
    }

    private CompletableFuture<Attempt> submit(Kind kind, String arg) {
        CompletableFuture<Attempt> done = new CompletableFuture<>();
        if (!thread.isAlive() && kind != Kind.STOP) {
            done.completeExceptionally(new IllegalStateException("the reconcile loop is not running"));
        } else {
            queue.add(new Command(kind, arg, done, System.nanoTime()));
        }
        return done;
    }

    private void run() {
        LOG.info("reconciler {} follows {} {} (path '{}'), state in {}", settings.name(), settings.url(),
                settings.ref(), settings.path(), store.dir());
        guard(this::recover);
        while (true) {
            try {
                long wait = Math.max(0, Math.min(Duration.between(clock.instant(), nextPoll).toMillis(), WATCH.toMillis()));
                Command c = queue.poll(wait, TimeUnit.MILLISECONDS);
                if (c != null && c.kind() == Kind.STOP) {
                    c.done().complete(null);
                    return;
                }
                if (c != null) {
                    handle(c);
                } else if (!clock.instant().isBefore(nextPoll)) {
                    queuedNanos = 0;
                    schedule();
                    guard(() -> reconcileAndRecord("poll", null));
                } else {
                    guard(this::watch);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Whatever a step throws, Errors included, is logged, shown in status, and the loop goes on. */
    private void guard(Runnable body) {
        try {
            body.run();
        } catch (Throwable t) {
            LOG.error("reconcile loop failure (the loop goes on)", t);
            Attempt a = new Attempt(null, "internal", clock.instant(), 0, Result.FAILED, Step.INTERNAL.label(),
                    t.toString(), List.of());
            record(a);
            publish();
        }
    }

    private void handle(Command c) {
        queuedNanos = System.nanoTime() - c.queued();
        try {
            Attempt result = switch (c.kind()) {
                case TRIGGER -> {
                    schedule(); // a poll that fell due meanwhile is this fetch
                    yield reconcileAndRecord(c.arg(), null);
                }
                case SUSPEND -> {
                    saveControl(control.withSuspended(true));
                    LOG.info("suspended: no revision is applied until resume (the gateway is still watched)");
                    yield null;
                }
                case RESUME -> {
                    saveControl(control.withSuspended(false).withPinned(null));
                    LOG.info("resumed: following {}", settings.ref());
                    schedule();
                    yield reconcileAndRecord("resume", null);
                }
                case PIN -> reconcileAndRecord("pin", c.arg());
                case STOP -> throw new IllegalStateException();
            };
            publish();
            c.done().complete(result);
        } catch (Throwable t) {
            LOG.error("{} failed", c.kind(), t);
            c.done().completeExceptionally(t);
            publish();
        }
    }

    /**
     * The next grid point after now. A fixed grid (not "interval plus a random wait" after each poll) bounds the wait
     * for a pushed commit by one interval; the jitter only sets each node's phase, so nodes still fetch apart.
     */
    private void schedule() {
        long interval = Math.max(1, settings.pollInterval().toMillis());
        long since = Math.max(0, Duration.between(pollGrid, clock.instant()).toMillis());
        nextPoll = pollGrid.plusMillis((since / interval + 1) * interval);
        publish();
    }

    private void saveControl(StateStore.Control c) {
        try {
            store.saveControl(c);
        } catch (IOException e) {
            LOG.warn("cannot record {} in the state directory (it holds until this reconciler restarts): {}", c, e.getMessage());
        }
        control = c;
        publish();
    }

    /**
     * At start: the operator's word and the applied revision, then the gateway is checked before Git is asked. The
     * applied config is validated once here: the next plan (against the same live files) reuses it, and the first
     * push after a start does not wait for a cold validator.
     */
    private void recover() {
        try {
            control = store.control();
            appliedRecord = store.applied().orElse(null);
            if (appliedRecord != null) {
                applied = new Revision(appliedRecord.revision(), appliedRecord.at(), 0, Result.APPLIED.name());
                parse(appliedRecord.files());
            }
        } catch (IOException e) {
            LOG.warn("reading the state in {}: {}", store.dir(), e.getMessage());
        }
        publish();
        watch();
    }

    /** Between polls: is the gateway still running the applied config? Restore it at once if not. */
    private void watch() {
        compactMirror();
        Attempt restore = null;
        Instant started = clock.instant();
        try {
            if (restoreIfNeeded(live())) {
                restore = new Attempt(applied.commit(), "gateway restart", started, millisSince(started),
                        Result.RESTORED, null, "the gateway had lost the config; re-applied from " + store.dir(), List.of());
            }
        } catch (StepFailure f) {
            // Once per cause: a gateway that is down for a while is not news every second.
            if (lastError != null && f.getMessage().equals(lastError.message())) return;
            restore = failed(applied == null ? null : applied.commit(), "gateway restart", started, f);
        }
        if (restore != null) {
            record(restore);
            publish();
        }
        warmUp();
    }

    /**
     * While idle, once per process and once a config is known: copies the applied commit as a fetch would (local
     * remotes), reads it, writes its apply request, validates the applied files and plans a reweight of one of its
     * services, {@link #WARM_ROUNDS} times, dropping the results. The first change a push brings would
     * otherwise meet a cold validator and planner (its Maglev tables and moved-share walk interpreted): in the lab,
     * 0.6-0.7 s instead of 0.05 on a busy host, and with one round still 2-3 times their medians. The rounds run in
     * slices that stop as soon as a command waits, so a push is never queued behind more than one round, and stop for
     * good once they took {@link #WARM_BUDGET}.
     */
    private void warmUp() {
        if (warmRounds >= WARM_ROUNDS || parsed == null) return;
        if (warmChange == null) warmChange = reweighted(parsed);
        if (warmChange == null) {
            warmRounds = WARM_ROUNDS; // no service with servers: nothing to plan
            return;
        }
        long t0 = System.nanoTime();
        while (warmRounds < WARM_ROUNDS && queue.isEmpty() && System.nanoTime() - t0 < WARM_SLICE.toNanos()) {
            rehearseGit();
            ConfigLoader.load("warm-up", parsedFiles);
            Planner.plan(parsed, warmChange);
            warmRounds++;
        }
        warmNanos += System.nanoTime() - t0;
        if (warmRounds == WARM_ROUNDS || warmNanos >= WARM_BUDGET.toNanos()) {
            LOG.info("fetch, read, validator, planner and apply request warmed up: {} rounds in {} ms (a reweight, dropped)", warmRounds,
                    warmNanos / 1_000_000);
            warmRounds = WARM_ROUNDS;
            warmChange = null;
        }
    }

    /**
     * The Git and gateway parts of a warm-up round, on the applied commit: copied again as a push's fetch would bring
     * it, its history walked, its config read from its objects, and the apply request written (not sent); all dropped.
     */
    private void rehearseGit() {
        if (!rehearseGit || applied == null) return;
        try {
            ObjectId commit = ObjectId.fromString(applied.commit());
            mirror.rehearseFetch(commit);
            mirror.contains(commit, commit);
            configSource().read(commit.name(), settings.path());
            gateway.rehearseApply(applied.commit(), parsedFiles);
        } catch (GitException | IOException | IllegalArgumentException e) {
            rehearseGit = false; // e.g. restored from the state directory into a fresh mirror: not there yet
            LOG.info("the fetch and read are not warmed up: {}", e.getMessage());
        }
    }

    /** {@code config} with its first service's first server one weight lighter (null: no service has servers). */
    private static Config reweighted(Config config) {
        for (int i = 0; i < config.services().size(); i++) {
            ServiceConfig s = config.services().get(i);
            if (s.servers().isEmpty()) continue;
            List<RealServer> servers = new ArrayList<>(s.servers());
            RealServer r = servers.getFirst();
            servers.set(0, new RealServer(r.address(), r.port(), r.weight() == 0 ? 1 : r.weight() - 1));
            List<ServiceConfig> services = new ArrayList<>(config.services());
            services.set(i, new ServiceConfig(s.name(), s.vip(), s.port(), s.protocol(), s.tableSize(), s.timeouts(),
                    s.health(), servers));
            return new Config(config.cluster(), services);
        }
        return null;
    }

    private LiveRevision live() throws StepFailure {
        try {
            return gateway.live();
        } catch (IOException e) {
            condition("applied", false, "GatewayUnreachable", e.getMessage());
            throw StepFailure.transientFailure(Step.RESTORE, e.getMessage());
        }
    }

    /** Repacks the mirror's packs (one per fetch) when they pile up: while idle, never on the way to an apply. */
    private void compactMirror() {
        try {
            long t0 = System.nanoTime();
            if (mirror.compact(MAX_PACKS)) LOG.info("repacked the mirror in {} ms", (System.nanoTime() - t0) / 1_000_000);
        } catch (GitException e) {
            if (!e.getMessage().equals(compactProblem)) LOG.warn("{} (fetches go on with the packs as they are)", e.getMessage());
            compactProblem = e.getMessage(); // once per cause: a read-only disk is not news every second
        }
    }

    /** @return whether the applied config had to be re-applied */
    private boolean restoreIfNeeded(LiveRevision live) throws StepFailure {
        settlePending(live);
        if (appliedRecord == null) return false;
        StateStore.Applied a = appliedRecord;
        if (live.generation() > 0 && a.revision().equals(live.revision())) {
            if (applied != null && applied.generation() != live.generation()) {
                applied = new Revision(applied.commit(), applied.at(), live.generation(), applied.result());
            }
            condition("applied", true, "Live", "the gateway runs " + a.revision());
            return false;
        }
        LOG.warn("the gateway runs generation {} revision {}, not {}: re-applying it from {}", live.generation(),
                live.revision(), a.revision(), store.dir());
        long t0 = System.nanoTime();
        ApplyReply r;
        try {
            r = gateway.apply(a.revision(), a.files());
        } catch (IOException e) {
            throw StepFailure.transientFailure(Step.RESTORE, e.getMessage());
        } finally {
            metrics.step(Step.RESTORE, System.nanoTime() - t0);
        }
        if (!r.applied()) {
            String why = "the gateway refused the last applied config: " + reasons(r);
            condition("applied", false, "RestoreRefused", why);
            throw StepFailure.transientFailure(Step.RESTORE, why);
        }
        applied = new Revision(a.revision(), clock.instant(), r.generation(), Result.RESTORED.name());
        condition("applied", true, "Restored", "re-applied " + a.revision() + " from the state directory");
        LOG.info("restored {} on the gateway (generation {})", a.revision(), r.generation());
        return true;
    }

    /**
     * A config whose apply was cut short (killed -9, or the gateway's answer lost): when the gateway runs it, it
     * becomes the applied one (applied once, never applied again); otherwise it is dropped and tried again.
     */
    private void settlePending(LiveRevision live) throws StepFailure {
        try {
            Optional<StateStore.Applied> pending = store.pending();
            if (pending.isEmpty()) return;
            StateStore.Applied p = pending.get();
            if (live.generation() > 0 && p.revision().equals(live.revision())) {
                store.commitPending();
                appliedRecord = p;
                applied = new Revision(p.revision(), p.at(), live.generation(), Result.APPLIED.name());
                LOG.info("the gateway took {} before its apply was confirmed; recorded as applied", p.revision());
            } else {
                store.dropPending();
                LOG.info("{} was being applied when the reconciler stopped, and the gateway did not take it; "
                        + "it is tried again", p.revision());
            }
        } catch (IOException e) {
            throw StepFailure.transientFailure(Step.RESTORE, e.getMessage());
        }
    }

    /** A reconcile, recorded in history and metrics and published, whatever happened. */
    private Attempt reconcileAndRecord(String trigger, String pin) {
        Attempt a = null;
        try {
            a = reconcile(trigger, pin);
            return a;
        } finally {
            if (a != null) record(a);
            publish();
        }
    }

    /**
     * One reconcile: guards, then the steps in order. The status is written at the end whatever happened.
     *
     * @param pin a revision the operator pins (null: follow the ref, or the pinned revision)
     */
    private Attempt reconcile(String trigger, String pin) {
        Instant started = clock.instant();
        String revision = null;
        Attempt attempt;
        stepNanos.clear();
        try {
            if (control.suspended() && pin == null) {
                attempt = new Attempt(null, trigger, started, millisSince(started), Result.SKIPPED, null,
                        "suspended (vgw reconcile resume to follow " + settings.ref() + " again)", List.of());
                return attempt;
            }
            // What the gateway runs (one GET /v1/config: the restore check and the plan's base) is asked while Git
            // works, so the round trip is not added to the time from push to live.
            CompletableFuture<Asked> asked = askLive();
            ObjectId head = timed(Step.FETCH, this::fetch);
            String target = pin != null ? pin : control.pinned();
            ObjectId commitId = target == null ? head : timed(Step.RESOLVE, () -> resolve(target));
            revision = commitId.name();
            reverifyApplied(trigger, started);
            if (applied != null && revision.equals(applied.commit())) {
                if (pin != null) saveControl(control.withPinned(revision));
                attempt = new Attempt(revision, trigger, started, millisSince(started), Result.UP_TO_DATE, null,
                        pin != null ? "pinned to the applied revision" : "up to date", List.of());
                return attempt;
            }
            if (pin == null && revision.equals(control.failed())) {
                attempt = new Attempt(revision, trigger, started, millisSince(started), Result.SKIPPED,
                        control.failedStep(), "this revision failed (" + control.failedReason()
                        + "); it is not tried again until " + settings.ref() + " moves", List.of());
                return attempt;
            }
            attempted = new Revision(revision, started, 0, null);
            RevCommit commit = timed(Step.RESOLVE, () -> parse(commitId));
            if (pin == null && target == null) timed(Step.HISTORY, () -> checkHistory(commitId));
            timed(Step.VERIFY, () -> verify(commitId));
            List<SourceFile> files = timed(Step.READ, () -> read(commitId));
            Config config = timed(Step.VALIDATE, () -> validate(commitId, files));
            // Guard: a gateway that lost its config gets the applied one back first (the watch also does, every second).
            LiveConfig live = timed(Step.LIVE, () -> liveConfig(asked));
            if (live != null && restoreIfNeeded(new LiveRevision(live.revision(), live.generation()))) {
                live = new LiveConfig(appliedRecord.revision(), applied.generation(), appliedRecord.files());
            }
            LiveConfig base = live;
            Planned planned = timed(Step.PLAN, () -> plan(base, config));
            Plan plan = planned.plan();
            timed(Step.GUARD, () -> guardRails(plan, commit));
            StateStore.Applied record = new StateStore.Applied(revision, settings.ref(), clock.instant(), files);
            long generation = timed(Step.APPLY, () -> apply(record));
            timed(Step.READBACK, () -> readBack(record.revision(), generation));
            timed(Step.PERSIST, () -> persist(record));
            remember(files, config);
            applied = new Revision(revision, clock.instant(), generation, Result.APPLIED.name());
            attempted = new Revision(revision, started, generation, Result.APPLIED.name());
            if (verifier != null) verifiedUnder = verifier.trustFingerprint();
            condition("applied", true, "Applied", "generation " + generation + " runs " + revision);
            if (pin != null) saveControl(control.withPinned(revision));
            if (control.failed() != null) saveControl(control.withFailed(null, null, null));
            String summary = String.format("applied %s: %d to add, %d to change, %d to remove%s", abbreviate(revision),
                    plan.count(Plan.Action.ADD), plan.count(Plan.Action.CHANGE), plan.count(Plan.Action.REMOVE),
                    planned.fallback() == null ? "" : " (planned against " + planned.fallback() + ")");
            LOG.info("{} (generation {}; {} at {}) in {}", summary, generation, trigger, askedAt(), timings());
            attempt = new Attempt(revision, trigger, started, millisSince(started), Result.APPLIED, null, summary, List.of());
            return attempt;
        } catch (StepFailure f) {
            attempt = failed(revision, trigger, started, f);
            if (revision != null) {
                attempted = new Revision(revision, started, 0, f.result.name());
                if (f.revisionFault && pin == null) saveControl(control.withFailed(revision, f.step.label(), f.getMessage()));
            }
            return attempt;
        }
    }

    private Attempt failed(String revision, String trigger, Instant started, StepFailure f) {
        LOG.warn("{} at step {}: {}{}", revision == null ? "reconcile" : abbreviate(revision), f.step.label(),
                f.getMessage(), f.problems.isEmpty() ? "" : "\n  " + String.join("\n  ", f.problems));
        Attempt a = new Attempt(revision, trigger, started, millisSince(started), f.result, f.step.label(), f.getMessage(),
                f.problems);
        lastError = a;
        return a;
    }

    private ObjectId fetch() throws StepFailure {
        try {
            ObjectId head = mirror.fetch(settings.ref());
            condition("fetched", true, "Fetched", settings.ref() + " is at " + head.name());
            return head;
        } catch (GitException e) {
            String message = store.withDiskHint(e.getMessage());
            condition("fetched", false, "FetchFailed", message);
            throw StepFailure.transientFailure(Step.FETCH, message);
        }
    }

    private ObjectId resolve(String rev) throws StepFailure {
        ObjectId id;
        try {
            id = mirror.resolve(rev);
        } catch (GitException e) {
            throw StepFailure.bad(Step.RESOLVE, Result.FAILED, e.getMessage(), List.of());
        }
        if (id == null) {
            throw StepFailure.bad(Step.RESOLVE, Result.FAILED, "no commit '" + rev + "' in " + settings.url()
                    + " (fetched branches and tags); give a commit id from git log", List.of());
        }
        return id;
    }

    private RevCommit parse(ObjectId id) throws StepFailure {
        try (RevWalk walk = new RevWalk(mirror.repository())) {
            return walk.parseCommit(id);
        } catch (IOException e) {
            throw StepFailure.bad(Step.RESOLVE, Result.FAILED, "cannot read commit " + id.name() + ": " + e.getMessage(), List.of());
        }
    }

    private void checkHistory(ObjectId head) throws StepFailure {
        if (applied == null || settings.allowHistoryRewrite()) return;
        try {
            if (mirror.contains(head, ObjectId.fromString(applied.commit()))) return;
        } catch (GitException | IllegalArgumentException e) {
            throw StepFailure.transientFailure(Step.HISTORY, e.getMessage());
        }
        throw StepFailure.bad(Step.HISTORY, Result.REFUSED, settings.ref() + " moved to " + head.name()
                + ", which does not contain the applied " + applied.commit() + " (history rewritten, e.g. a force-push "
                + "back to an old revision); revert with a new commit instead, or set allow_history_rewrite", List.of());
    }

    private void verify(ObjectId commit) throws StepFailure {
        if (verifier == null) {
            condition("verified", true, "VerificationOff", "signatures are not checked (verify.mode off)");
            return;
        }
        Verification v = verifier.verify(mirror.repository(), commit);
        if (!v.trusted()) {
            condition("verified", false, "Untrusted", v.reason());
            throw StepFailure.bad(Step.VERIFY, Result.REFUSED, "commit " + commit.name() + " is not signed by an allowed key: "
                    + v.reason(), List.of());
        }
        condition("verified", true, "Trusted", "signed by " + v.signer());
    }

    /**
     * When the trusted keys changed since the applied revision was verified (or after a start), it is verified again.
     * One no longer trusted stays live (there is nothing safer to go to) but is reported loudly, once per change.
     */
    private void reverifyApplied(String trigger, Instant started) {
        if (verifier == null || applied == null) return;
        String fingerprint = verifier.trustFingerprint();
        if (fingerprint.equals(verifiedUnder)) return;
        boolean changed = verifiedUnder != null;
        verifiedUnder = fingerprint;
        // A head refused for its signature deserves another look under the new keys.
        if (changed && Step.VERIFY.label().equals(control.failedStep())) saveControl(control.withFailed(null, null, null));
        Verification v = verifier.verify(mirror.repository(), ObjectId.fromString(applied.commit()));
        if (v.trusted()) {
            condition("verified", true, "Trusted", "the applied " + applied.commit() + " is signed by " + v.signer());
            return;
        }
        String message = "the running revision " + applied.commit() + " is no longer signed by a trusted key ("
                + v.reason() + "); it stays live: push a commit signed by a trusted key, or pin one";
        condition("verified", false, "AppliedUntrusted", message);
        LOG.error(message);
        record(failed(applied.commit(), trigger, started,
                StepFailure.bad(Step.VERIFY, Result.REFUSED, message, List.of())));
    }

    private List<SourceFile> read(ObjectId commit) throws StepFailure {
        try {
            return configSource().read(commit.name(), settings.path()).files();
        } catch (IOException | IllegalArgumentException e) {
            condition("valid", false, "Unreadable", e.getMessage());
            throw StepFailure.bad(Step.READ, Result.FAILED, e.getMessage(), List.of());
        }
    }

    /** The config as the mirror holds it; the source shares the mirror's repository, so it is never closed. */
    private GitConfigSource configSource() {
        return GitConfigSource.of(mirror.repository(), Path.of(settings.url()));
    }

    private Config validate(ObjectId commit, List<SourceFile> files) throws StepFailure {
        memo.retain(parsedFiles);
        ConfigLoader.Result r = ConfigLoader.load(label(commit), files, memo);
        if (!r.ok()) {
            memo.retain(parsedFiles); // a refused revision's files are not kept
            List<String> problems = r.problems().stream().map(Problem::toString).toList();
            condition("valid", false, "Invalid", problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
                    + ", first: " + problems.getFirst());
            throw StepFailure.bad(Step.VALIDATE, Result.FAILED, problems.size() + " problem"
                    + (problems.size() == 1 ? "" : "s") + " in " + label(commit), problems);
        }
        condition("valid", true, "Valid", r.config().services().size() + " services");
        return r.config();
    }

    /** GET /v1/config's answer, or why there is none. */
    private record Asked(LiveConfig live, String problem) {}

    /** Asks the gateway on a thread of its own; only the loop thread looks at the answer. */
    private CompletableFuture<Asked> askLive() {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new Asked(gateway.config(), null);
            } catch (IOException | RuntimeException e) {
                return new Asked(null, String.valueOf(e.getMessage()));
            }
        }, task -> Thread.ofVirtual().name("vgw-live").start(task));
    }

    /** The gateway's live config; null when it cannot say (the plan then falls back to the state directory). */
    private LiveConfig liveConfig(CompletableFuture<Asked> asked) {
        Asked a = asked.join();
        liveProblem = a.problem();
        if (a.live() == null) condition("applied", false, "GatewayUnreachable", a.problem());
        return a.live();
    }

    /** A plan, and why it was not made against the gateway's live config (null when it was). */
    private record Planned(Plan plan, String fallback) {}

    private Planned plan(LiveConfig live, Config next) {
        Base base = base(live, next);
        return new Planned(Planner.plan(base.config(), next), base.fallback());
    }

    private record Base(Config config, String fallback) {}

    /**
     * The gateway's live config, as it reports it; when it cannot, the state directory's applied config (what it ran
     * last as far as this reconciler knows), said in the attempt's message. The guard rails measure moves from it.
     */
    private Base base(LiveConfig live, Config next) {
        Config none = new Config(next.cluster(), List.of());
        if (live != null) {
            if (live.generation() == 0 || live.files().isEmpty()) return new Base(none, null);
            Config c = parse(live.files());
            return c != null ? new Base(c, null) : new Base(none, "nothing: the gateway's live config does not validate here");
        }
        String why = "the gateway's live config could not be read: " + liveProblem;
        if (appliedRecord == null) return new Base(none, "nothing (" + why + ")");
        Config c = parse(appliedRecord.files());
        LOG.warn("planning against the state directory's applied config {}: {}", appliedRecord.revision(), why);
        return new Base(c != null ? c : none, "the state directory's applied config (" + why + ")");
    }

    /** The config of these files, validated once: the same files again (the live config after an apply) reuse it. */
    private Config parse(List<SourceFile> files) {
        if (parsed != null && files.equals(parsedFiles)) return parsed;
        ConfigLoader.Result r = ConfigLoader.load("live", files, memo);
        if (!r.ok()) return null;
        remember(files, r.config());
        return parsed;
    }

    private void remember(List<SourceFile> files, Config config) {
        parsedFiles = List.copyOf(files);
        parsed = config;
    }

    private void guardRails(Plan plan, RevCommit commit) throws StepFailure {
        List<String> refusals = GuardRails.check(plan, settings.maxMovedShare(), settings.maxRemovedServices(), commit);
        if (!refusals.isEmpty()) {
            condition("valid", false, "GuardRail", refusals.getFirst());
            throw StepFailure.bad(Step.GUARD, Result.REFUSED, "refused by a guard rail", refusals);
        }
    }

    /** Records the config first (nothing is applied that could be lost), then one atomic apply. */
    private long apply(StateStore.Applied record) throws StepFailure {
        try {
            store.savePending(record);
        } catch (IOException e) {
            throw StepFailure.transientFailure(Step.PERSIST, "nothing applied: " + store.withDiskHint(e.getMessage()));
        }
        try {
            ApplyReply r = gateway.apply(record.revision(), record.files());
            if (!r.applied()) {
                dropPending();
                condition("applied", false, "Refused", reasons(r));
                throw StepFailure.bad(Step.APPLY, Result.REFUSED, "the gateway refused it and keeps generation "
                        + r.generation(), r.problems().isEmpty() ? r.refused() : r.problems().stream().map(Problem::toString).toList());
            }
            return r.generation();
        } catch (IOException e) {
            // Unknown whether it was taken: pending.json stays; the readback or the next start decides.
            condition("applied", false, "GatewayUnreachable", e.getMessage());
            throw StepFailure.transientFailure(Step.APPLY, e.getMessage());
        }
    }

    private void readBack(String revision, long generation) throws StepFailure {
        try {
            LiveRevision live = gateway.live();
            if (!revision.equals(live.revision()) || live.generation() < generation) {
                throw StepFailure.transientFailure(Step.READBACK, "the gateway reports generation " + live.generation()
                        + " revision " + live.revision() + " after applying " + revision + " as generation " + generation);
            }
        } catch (IOException e) {
            throw StepFailure.transientFailure(Step.READBACK, e.getMessage());
        }
    }

    private void persist(StateStore.Applied record) throws StepFailure {
        try {
            store.commitPending();
            appliedRecord = record;
        } catch (IOException e) {
            throw StepFailure.transientFailure(Step.PERSIST, "applied, but not recorded: " + store.withDiskHint(e.getMessage()));
        }
    }

    private void dropPending() {
        try {
            store.dropPending();
        } catch (IOException e) {
            LOG.warn("cannot remove pending.json: {}", e.getMessage());
        }
    }

    private String label(ObjectId commit) {
        return settings.url() + "@" + abbreviate(commit.name()) + (settings.path().isEmpty() ? "" : ":" + settings.path());
    }

    private static String reasons(ApplyReply r) {
        List<String> all = new ArrayList<>(r.refused());
        r.problems().forEach(p -> all.add(p.toString()));
        return String.join("; ", all);
    }

    private interface StepBody<T> {
        T run() throws StepFailure;
    }

    private interface VoidStep {
        void run() throws StepFailure;
    }

    /**
     * Runs a step, timed. Whatever else it throws (a bug, or hostile input that got past a bound: a stack overflow
     * on deep YAML) stops the attempt at this step like a failure; for the steps that only look at the revision, the
     * revision is at fault and is not retried.
     */
    private <T> T timed(Step step, StepBody<T> body) throws StepFailure {
        long t0 = System.nanoTime();
        try {
            return body.run();
        } catch (RuntimeException | StackOverflowError e) {
            LOG.error("step {} failed unexpectedly", step.label(), e);
            String message = "the " + step.label() + " step failed: " + e;
            boolean revision = step == Step.READ || step == Step.VALIDATE || step == Step.PLAN || step == Step.GUARD;
            throw new StepFailure(step, Result.FAILED, revision, message, List.of());
        } finally {
            long took = System.nanoTime() - t0;
            metrics.step(step, took);
            stepNanos.merge(step, took, Long::sum);
        }
    }

    /** When this attempt was asked for (the webhook's arrival, a poll's tick): its time line starts there. */
    private Instant askedAt() {
        long total = queuedNanos;
        for (long n : stepNanos.values()) total += n;
        return clock.instant().minusNanos(total);
    }

    /** "212.4 ms: queued 0.1, fetch 20.5, resolve 0.1, ...": the steps of this attempt, in order. */
    private String timings() {
        StringBuilder b = new StringBuilder();
        long total = queuedNanos;
        for (long n : stepNanos.values()) total += n;
        b.append(String.format(java.util.Locale.ROOT, "%.1f ms: queued %.1f", total / 1e6, queuedNanos / 1e6));
        stepNanos.forEach((step, n) -> b.append(String.format(java.util.Locale.ROOT, ", %s %.1f", step.label(), n / 1e6)));
        return b.toString();
    }

    private void timed(Step step, VoidStep body) throws StepFailure {
        timed(step, () -> {
            body.run();
            return null;
        });
    }

    private void condition(String type, boolean ok, String reason, String message) {
        Condition old = conditions.get(type);
        Instant since = old != null && old.ok() == ok && old.reason().equals(reason) ? old.since() : clock.instant();
        conditions.put(type, new Condition(type, ok, reason, message, since));
    }

    /**
     * Into metrics always; into history unless it repeats the newest entry (a quiet poll is not news; a webhook that
     * found nothing new after a poll is: it shows the hook reaches this node).
     */
    private void record(Attempt a) {
        metrics.attempt(a.result());
        Attempt newest = history.peekFirst();
        if (newest != null && java.util.Objects.equals(newest.revision(), a.revision()) && newest.result() == a.result()
                && java.util.Objects.equals(newest.message(), a.message()) && java.util.Objects.equals(newest.trigger(), a.trigger())) {
            history.removeFirst();
        }
        history.addFirst(a);
        while (history.size() > HISTORY) history.removeLast();
    }

    private long millisSince(Instant started) {
        return Duration.between(started, clock.instant()).toMillis();
    }

    private void publish() {
        status = new ReconcileStatus(settings.name(), settings.url(), settings.ref(), settings.path(),
                control.suspended(), control.pinned(), applied, attempted, List.copyOf(conditions.values()), lastError,
                nextPoll, List.copyOf(history));
        metrics.publish(status);
    }

    static String abbreviate(String commit) {
        return commit.length() > 10 ? commit.substring(0, 10) : commit;
    }

    @Override
    public void close() throws InterruptedException {
        if (thread.isAlive()) {
            queue.add(new Command(Kind.STOP, null, new CompletableFuture<>(), System.nanoTime()));
            thread.join(Duration.ofSeconds(70));
        }
    }
}
