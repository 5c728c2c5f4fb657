package io.vgw.reconciler.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vgw.config.load.ConfigLoader;
import io.vgw.reconciler.git.GitMirror;
import io.vgw.reconciler.loop.ReconcileStatus.Attempt;
import io.vgw.reconciler.loop.ReconcileStatus.Result;
import io.vgw.reconciler.state.StateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.jgit.util.FileUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop against real Git repositories over file:// and a fake gateway that validates like the real one. */
class ReconcilerTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;
    ConfigRepo repo;
    FakeGateway gateway = new FakeGateway();
    Reconciler reconciler;
    GitMirror mirror;
    /** More keys of reconcile.yaml's repository map, e.g. ", max_fetch_mb: 1". */
    String repositoryExtra = "";

    @BeforeEach
    void setUp() throws Exception {
        repo = new ConfigRepo(tmp.resolve("repo"));
    }

    @AfterEach
    void tearDown() throws Exception {
        stop();
        repo.close();
    }

    Reconciler start(String url, String extraYaml) throws Exception {
        return start(url, extraYaml, null);
    }

    Reconciler start(String url, String extraYaml, io.vgw.reconciler.git.CommitVerifier verifier) throws Exception {
        Path file = tmp.resolve("reconcile.yaml");
        Files.writeString(file, """
                reconcile: lb1
                repository: {url: "%s", ref: main, path: config, timeout: 10s%s}
                state_dir: state
                poll: {interval: 1h}
                %s
                """.formatted(url, repositoryExtra, extraYaml));
        ReconcilerSettings s = ReconcilerSettings.of(ReconcilerSettings.read(file), tmp);
        mirror = GitMirror.open(s.stateDir().resolve("mirror"), s.remote());
        reconciler = new Reconciler(s, mirror, verifier != null ? verifier : s.verify().verifier(), gateway,
                StateStore.open(s.stateDir()), Clock.systemUTC(),
                new ReconcilerMetrics()).start();
        return reconciler;
    }

    Reconciler start() throws Exception {
        return start(repo.url(), "");
    }

    void stop() throws Exception {
        if (reconciler != null) reconciler.close();
        if (mirror != null) mirror.close();
        reconciler = null;
        mirror = null;
    }

    Attempt reconcile() throws Exception {
        return reconciler.trigger("test").get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * The first attempt after start: the start-up poll's, or the trigger's when it came first (a refused head is
     * then only SKIPPED by the trigger, so the poll's verdict is the one to check).
     */
    Attempt firstAttempt() throws Exception {
        Attempt a = reconcile();
        if (a.result() != Result.SKIPPED) return a;
        return reconciler.status().history().stream().filter(h -> h.result() != Result.SKIPPED).findFirst().orElse(a);
    }

    /** The first reconcile may be the start-up poll's or the trigger's: either way the head is applied. */
    void appliedHead() throws Exception {
        reconcile();
        assertEquals(repo.head(), gateway.revision);
    }

    static void waitFor(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail(what + " within " + TIMEOUT);
            Thread.onSpinWait();
        }
    }

    @Test
    void everyKindOfChangeReachesTheGateway() throws Exception {
        start();
        appliedHead();
        assertEquals(1, gateway.generation);
        Map<String, String> changes = new HashMap<>();
        changes.put("add a server", repo.edit("add a server", "services/web.yaml",
                "  - {address: 203.0.113.13, weight: 50}", "  - {address: 203.0.113.13, weight: 50}\n  - {address: 203.0.113.14, weight: 100}"));
        Attempt added = reconcile();
        assertEquals(Result.APPLIED, added.result(), added.toString());
        assertTrue(added.message().contains("0 to add, 1 to change, 0 to remove"), added.message());
        assertTrue(gateway.files.stream().anyMatch(f -> f.text().contains("203.0.113.14")));

        for (String[] c : new String[][] {
                {"reweight", "{address: 203.0.113.14, weight: 100}", "{address: 203.0.113.14, weight: 60}"},
                {"drain", "{address: 203.0.113.14, weight: 60}", "{address: 203.0.113.14, weight: 0}"},
                {"remove", "\n  - {address: 203.0.113.14, weight: 0}", ""}}) {
            String commit = repo.edit(c[0], "services/web.yaml", c[1], c[2]);
            Attempt a = reconcile();
            assertEquals(Result.APPLIED, a.result(), c[0] + ": " + a);
            assertEquals(commit, gateway.revision, c[0]);
            assertTrue(gateway.files.stream().anyMatch(f -> f.text().contains(c[2].isEmpty() ? "weight: 50}" : c[2])), c[0]);
        }
        repo.commit("add a service", Map.of("services/dns.yaml", Files.readString(ConfigRepo.ADD_A_SERVICE)));
        Attempt service = reconcile();
        assertEquals(Result.APPLIED, service.result(), service.toString());
        assertTrue(service.message().contains("1 to add"), service.message());
        assertEquals(6, gateway.generation);
        var live = ConfigLoader.load("live", gateway.files);
        assertTrue(live.config().service("dns").isPresent());

        ReconcileStatus s = reconciler.status();
        assertEquals(repo.head(), s.applied().commit());
        assertEquals(6, s.applied().generation());
        assertTrue(s.conditions().stream().allMatch(ReconcileStatus.Condition::ok), s.conditions().toString());
        assertEquals(Result.APPLIED, s.history().getFirst().result());
        // applied.json holds what the gateway runs
        var stored = StateStore.open(tmp.resolve("state")).applied().orElseThrow();
        assertEquals(gateway.files, stored.files());
        assertEquals(repo.head(), stored.revision());
        changes.clear();
    }

    @Test
    void badRevisionsAreRefusedWithTheirReasonAndNotRetriedUntilTheRefMoves() throws Exception {
        start();
        appliedHead();
        String good = gateway.revision;
        long generation = gateway.generation;
        record Bad(String name, String path, String text, Result result, String step, String expected) {}
        for (Bad bad : new Bad[] {
                new Bad("broken yaml", "services/web.yaml", "service: web\nvip: [192.0.2.10\n", Result.FAILED, "validate", "services/web.yaml:"),
                new Bad("schema error", "services/web.yaml", null, Result.FAILED, "validate", "services/web.yaml:18:"),
                new Bad("semantic error", "services/api.yaml", null, Result.FAILED, "validate", "services/api.yaml:6:")}) {
            String text = bad.text();
            if (bad.name().equals("schema error")) text = repo.read("services/web.yaml").replace("weight: 100}", "weight: 70000}");
            if (bad.name().equals("semantic error")) text = repo.read("services/api.yaml").replace("timeout: 1s}", "timeout: 3s}");
            String commit = repo.commit(bad.name(), Map.of(bad.path(), text));
            Attempt a = reconcile();
            assertEquals(bad.result(), a.result(), bad.name() + ": " + a);
            assertEquals(bad.step(), a.step(), bad.name());
            assertEquals(commit, a.revision());
            assertTrue(String.join("\n", a.problems()).contains(bad.expected()), bad.name() + ": " + a.problems());
            assertEquals(good, gateway.revision, "live state unchanged");
            assertEquals(generation, gateway.generation);
            Attempt again = reconcile();
            assertEquals(Result.SKIPPED, again.result(), "not retried: " + again);
            assertTrue(again.message().contains("not tried again until main moves"), again.message());
            ReconcileStatus s = reconciler.status();
            assertEquals(commit, s.attempted().commit());
            assertEquals(good, s.applied().commit());
            assertEquals(bad.step(), s.lastError().step());
            // back to the good content, as a new commit: applies normally
            repo.commit("revert " + bad.name(), Map.of(bad.path(), Files.readString(ConfigRepo.EXAMPLES.resolve(bad.path()))));
            Attempt fixed = reconcile();
            assertTrue(fixed.result() == Result.APPLIED, bad.name() + " fixed: " + fixed);
            good = gateway.revision;
            generation = gateway.generation;
        }
        assertEquals(4, gateway.generation);
    }

    @Test
    void hostileFilesAreRefusedAndTheDaemonLives() throws Exception {
        start();
        appliedHead();
        String good = gateway.revision;
        long generation = gateway.generation;
        String deep = "service: deep\nvip: " + "[".repeat(20_000) + "]".repeat(20_000) + "\n";
        String bomb = "service: bomb\na: &a [x, x, x, x, x, x, x, x, x]\n" + java.util.stream.IntStream.range(1, 10)
                .mapToObj(i -> (char) ('a' + i) + ": &" + (char) ('a' + i) + " [*" + (char) ('a' + i - 1) + ", *"
                        + (char) ('a' + i - 1) + ", *" + (char) ('a' + i - 1) + ", *" + (char) ('a' + i - 1) + "]")
                .collect(java.util.stream.Collectors.joining("\n")) + "\n";
        String huge = "# " + "x".repeat(50 << 20) + "\n";
        for (String[] hostile : new String[][] {{"deep", deep, "validate"}, {"alias bomb", bomb, "validate"}, {"50 MB", huge, "read"}}) {
            String commit = repo.commit(hostile[0], Map.of("services/hostile.yaml", hostile[1]));
            Attempt a = reconcile();
            assertEquals(hostile[2], a.step(), hostile[0] + ": " + a);
            assertEquals(commit, a.revision());
            assertEquals(good, gateway.revision, hostile[0] + ": live state unchanged");
            assertEquals(generation, gateway.generation);
            assertEquals(Result.SKIPPED, reconcile().result(), hostile[0] + ": not retried");
            repo.commit("remove " + hostile[0], Map.of("services/hostile.yaml", "# nothing\n"));
            assertEquals(Result.APPLIED, reconcile().result(), "the loop goes on after " + hostile[0]);
            good = gateway.revision;
            generation = gateway.generation;
        }
    }

    @Test
    void onlyCommitsSignedByAnAllowedKeyApplyAndTheAppliedOneIsVerifiedAgainWhenKeysChange() throws Exception {
        Path ops = tmp.resolve("ops");
        Path stranger = tmp.resolve("stranger");
        Path other = tmp.resolve("other");
        for (Path key : List.of(ops, stranger, other)) {
            ConfigRepo.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key.getFileName().toString(), "-f", key.toString());
        }
        Path signers = tmp.resolve("allowed_signers");
        Files.writeString(signers, "t@example.org namespaces=\"git\" " + Files.readString(Path.of(ops + ".pub")));
        start(repo.url(), "verify: {mode: ssh, allowed_signers: " + signers + "}");
        Attempt unsigned = firstAttempt();
        assertEquals(Result.REFUSED, unsigned.result(), unsigned.toString());
        assertEquals("verify", unsigned.step());
        assertNull(gateway.revision);

        String web = repo.read("services/web.yaml");
        String signed = repo.commitSigned("signed by ops", "services/web.yaml", web.replace("weight: 50}", "weight: 60}"), ops);
        assertEquals(Result.APPLIED, reconcile().result());
        assertEquals(signed, gateway.revision);
        long generation = gateway.generation;

        repo.commitSigned("signed by a stranger", "services/web.yaml", web.replace("weight: 50}", "weight: 70}"), stranger);
        Attempt foreign = reconcile();
        assertEquals(Result.REFUSED, foreign.result(), foreign.toString());
        assertEquals("verify", foreign.step());
        assertEquals(generation, gateway.generation);

        // The operator trusts another key instead: the running revision is verified again and reported, and stays
        // live; the refused head is verified again too (and still refused).
        Files.writeString(signers, "t@example.org namespaces=\"git\" " + Files.readString(Path.of(other + ".pub")));
        Attempt again = reconcile();
        assertEquals(Result.REFUSED, again.result(), "the refused head is tried again under the new keys: " + again);
        assertEquals(Result.REFUSED, reconciler.status().history().get(1).result());
        assertTrue(reconciler.status().history().get(1).message().startsWith("the running revision " + signed
                + " is no longer signed by a trusted key"), reconciler.status().history().toString());
        assertTrue(reconciler.status().history().stream().anyMatch(a -> a.revision() != null && a.revision().equals(signed)
                && a.result() == Result.REFUSED && "verify".equals(a.step())), reconciler.status().history().toString());
        assertEquals(signed, gateway.revision, "the running revision stays live");
    }

    @Test
    void forcePushBackToAnOldRevisionIsRefused() throws Exception {
        start();
        appliedHead();
        String old = repo.head();
        repo.edit("reweight", "services/web.yaml", "weight: 50}", "weight: 60}");
        assertEquals(Result.APPLIED, reconcile().result());
        long generation = gateway.generation;
        repo.forceMain(old);
        Attempt a = reconcile();
        assertEquals(Result.REFUSED, a.result(), a.toString());
        assertEquals("history", a.step());
        assertTrue(a.message().contains("does not contain the applied"), a.message());
        assertEquals(generation, gateway.generation);
    }

    @Test
    void guardRailsRefuseBigMovesUnlessTheCommitAllowsThem() throws Exception {
        start();
        appliedHead();
        long generation = gateway.generation;
        // web: 100/100/50 → only .13 stays: about 80 % of flows move
        String web = repo.read("services/web.yaml");
        String small = web.replace("  - {address: 203.0.113.11, weight: 100}\n", "").replace("  - {address: 203.0.113.12, weight: 100}\n", "");
        repo.commit("shrink web", Map.of("services/web.yaml", small));
        Attempt refused = reconcile();
        assertEquals(Result.REFUSED, refused.result(), refused.toString());
        assertEquals("guard", refused.step());
        assertTrue(refused.problems().getFirst().startsWith("service web would move 80."), refused.problems().toString());
        assertTrue(refused.problems().getFirst().contains("add the trailer 'Vgw-Allow-Move: 8"), refused.problems().toString());
        assertEquals(generation, gateway.generation);

        repo.commit("shrink web, on purpose\n\nVgw-Allow-Move: 100%", Map.of("services/web.yaml", small + "# on purpose\n"));
        assertEquals(Result.APPLIED, reconcile().result());

        Map<String, String> removeTwo = new HashMap<>();
        removeTwo.put("services/web.yaml", null);
        removeTwo.put("services/api.yaml", null);
        repo.commit("remove two services", removeTwo);
        Attempt removed = reconcile();
        assertEquals(Result.REFUSED, removed.result(), removed.toString());
        assertTrue(removed.problems().getFirst().startsWith("the revision removes 2 services at once; the limit is 1"));
    }

    @Test
    void theGuardRailsMeasureMovesFromWhatTheGatewayRunsLive() throws Exception {
        // The gateway already runs a config this reconciler never applied (by hand, or its state directory was
        // lost): web on .13 alone. The head adds .11 and .12, so about 80 % of web's flows would move.
        String web = repo.read("services/web.yaml");
        String small = web.replace("  - {address: 203.0.113.11, weight: 100}\n", "").replace("  - {address: 203.0.113.12, weight: 100}\n", "");
        String byHand = repo.commit("web on .13 only", Map.of("services/web.yaml", small));
        gateway.apply("by-hand", io.vgw.reconciler.git.GitConfigSource.open(repo.dir).read(byHand, "config").files());
        repo.commit("web on three servers", Map.of("services/web.yaml", web));
        start();
        Attempt a = firstAttempt();
        assertEquals(Result.REFUSED, a.result(), a.toString());
        assertEquals("guard", a.step());
        assertTrue(a.problems().getFirst().startsWith("service web would move 8"), a.problems().toString());
        assertEquals("by-hand", gateway.revision, "live state unchanged");
        assertEquals(1, gateway.generation);
    }

    @Test
    void whenTheGatewayCannotSayWhatItRunsThePlanIsMadeAgainstTheStateDirectory() throws Exception {
        start();
        appliedHead();
        gateway.configDown = true;
        String next = repo.edit("reweight", "services/web.yaml", "weight: 50}", "weight: 60}");
        Attempt a = reconcile();
        assertEquals(Result.APPLIED, a.result(), a.toString());
        assertTrue(a.message().endsWith("(planned against the state directory's applied config (the gateway's live config "
                + "could not be read: the gateway did not answer GET /v1/config (test)))"), a.message());
        assertEquals(next, gateway.revision);
        // and the guard rails still hold against it: shrinking web to one server is refused
        String web = repo.read("services/web.yaml");
        repo.commit("shrink web", Map.of("services/web.yaml", web.replace("  - {address: 203.0.113.11, weight: 100}\n", "")
                .replace("  - {address: 203.0.113.12, weight: 100}\n", "")));
        Attempt refused = reconcile();
        assertEquals(Result.REFUSED, refused.result(), refused.toString());
        assertEquals(next, gateway.revision);
    }

    @Test
    void aRestartedGatewayGetsTheAppliedConfigBackWithoutTheRemote() throws Exception {
        start();
        appliedHead();
        String applied = gateway.revision;
        FileUtils.delete(repo.dir.toFile(), FileUtils.RECURSIVE);
        Attempt unreachable = reconcile();
        assertEquals(Result.FAILED, unreachable.result());
        assertEquals("fetch", unreachable.step());
        gateway.restart();
        waitFor(() -> applied.equals(gateway.revision), "the watch re-applies the config from the state directory");
        waitFor(() -> reconciler.status().history().getFirst().result() == Result.RESTORED, "the restore in history");
        assertEquals(1, gateway.generation);
        assertEquals(2, gateway.applies.get());
    }

    @Test
    void aConfigTheGatewayTookBeforeAKillIsAppliedOnce() throws Exception {
        start();
        appliedHead();
        stop();
        // The process died after the gateway took the next commit, before applied.json was replaced.
        String next = repo.edit("reweight", "services/web.yaml", "weight: 50}", "weight: 60}");
        StateStore store = StateStore.open(tmp.resolve("state"));
        var files = io.vgw.reconciler.git.GitConfigSource.open(repo.dir).read(next, "config").files();
        store.savePending(new StateStore.Applied(next, "main", java.time.Instant.now(), files));
        gateway.apply(next, files);
        int applies = gateway.applies.get();
        start();
        Attempt a = reconcile();
        assertEquals(next, reconciler.status().applied().commit());
        assertTrue(a.result() == Result.UP_TO_DATE, a.toString());
        assertEquals(applies, gateway.applies.get(), "applied once");
        assertTrue(store.pending().isEmpty());
        assertEquals(next, store.applied().orElseThrow().revision());

        // The other case: killed before the gateway took it: dropped, then applied by the loop.
        stop();
        String third = repo.edit("reweight again", "services/web.yaml", "weight: 60}", "weight: 70}");
        store.savePending(new StateStore.Applied(third, "main", java.time.Instant.now(),
                io.vgw.reconciler.git.GitConfigSource.open(repo.dir).read(third, "config").files()));
        start();
        reconcile();
        assertEquals(third, gateway.revision);
        assertEquals(applies + 1, gateway.applies.get());
    }

    @Test
    void historyKeepsAWebhookThatFoundNothingNewButNotARepeatedQuietAttempt() throws Exception {
        start();
        appliedHead();
        reconcile();
        reconcile();
        reconciler.trigger("webhook").get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        List<String> triggers = reconciler.status().history().stream().map(Attempt::trigger).toList();
        assertEquals(List.of("webhook", "test"), triggers.subList(0, 2), "the webhook shows, the repeat does not: " + triggers);
        assertEquals(Result.UP_TO_DATE, reconciler.status().history().getFirst().result());
    }

    @Test
    void aStateDirectoryThatIsFullOrReadOnlyStopsTheApplyAndNothingIsLost() throws Exception {
        assertEquals("root", System.getProperty("user.name"),
                "this test mounts a small tmpfs as the state directory and needs root (CI runs as root): run the tests with sudo");
        Path state = Files.createDirectories(tmp.resolve("state"));
        ConfigRepo.run("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "vgw-test-state", state.toString());
        try {
            start();
            appliedHead();
            long generation = gateway.generation;
            String applied = gateway.revision;

            // Full: a file takes every block left.
            Path filler = state.resolve("filler");
            try (var out = Files.newOutputStream(filler)) {
                byte[] block = new byte[4096];
                for (int i = 0; i < 4096; i++) out.write(block); // 16 MiB: more than the tmpfs holds
                fail("the 4 MiB tmpfs took 16 MiB");
            } catch (java.io.IOException full) {
                assertTrue(String.valueOf(full.getMessage()).contains("No space left on device"), full.toString());
            }
            repo.edit("reweight", "services/web.yaml", "weight: 50}", "weight: 60}");
            Attempt a = reconcile();
            assertEquals(Result.FAILED, a.result(), a.toString());
            assertTrue(a.message().contains("No space left on device"), a.message());
            assertTrue(a.message().contains("the state directory " + state + " is full or read-only"), a.message());
            assertEquals(1, a.message().split("full or read-only", -1).length - 1, "the hint once: " + a.message());
            assertEquals(generation, gateway.generation, "live state unchanged");
            assertEquals(applied, gateway.revision);
            assertEquals(applied, reconciler.status().applied().commit());
            assertEquals(a.step(), reconciler.status().lastError().step());
            Files.delete(filler);
            Attempt recovered = reconcile();
            assertEquals(Result.APPLIED, recovered.result(), "a transient failure is retried: " + recovered);
            generation = gateway.generation;
            applied = gateway.revision;

            // Read-only.
            ConfigRepo.run("mount", "-o", "remount,ro", state.toString());
            repo.edit("reweight again", "services/web.yaml", "weight: 60}", "weight: 70}");
            a = reconcile();
            assertEquals(Result.FAILED, a.result(), a.toString());
            assertTrue(a.message().contains("Read-only file system"), a.message());
            assertTrue(a.message().contains("the state directory " + state + " is full or read-only"), a.message());
            assertEquals(generation, gateway.generation, "live state unchanged");
            assertEquals(applied, gateway.revision);
            ConfigRepo.run("mount", "-o", "remount,rw", state.toString());
            assertEquals(Result.APPLIED, reconcile().result(), "writable again: applied");
            assertEquals(repo.head(), gateway.revision);
        } finally {
            stop();
            ConfigRepo.run("umount", state.toString());
        }
    }

    @Test
    void suspendPinAndResume() throws Exception {
        start();
        appliedHead();
        String first = repo.head();
        repo.edit("reweight", "services/web.yaml", "weight: 50}", "weight: 60}");
        reconciler.suspend().get();
        assertEquals(Result.SKIPPED, reconcile().result());
        assertEquals(first, gateway.revision);
        assertTrue(reconciler.status().suspended());

        Attempt pinned = reconciler.pin(first.substring(0, 12)).get();
        assertTrue(pinned.result() == Result.UP_TO_DATE, pinned.toString());
        assertEquals(first, reconciler.status().pinned());
        reconciler.resume().get();
        assertEquals(repo.head(), gateway.revision);
        assertNull(reconciler.status().pinned());

        Attempt back = reconciler.pin(first).get();
        assertEquals(Result.APPLIED, back.result(), back.toString());
        assertEquals(first, gateway.revision);
        repo.edit("another", "services/web.yaml", "weight: 60}", "weight: 70}");
        assertEquals(Result.UP_TO_DATE, reconcile().result(), "pinned: the ref is not followed");
        assertEquals(first, gateway.revision);
        reconciler.resume().get();
        assertEquals(repo.head(), gateway.revision);
    }

    @Test
    void aRemoteThatSendsTenTimesTheFetchBoundIsStoppedAndReported() throws Exception {
        repositoryExtra = ", max_fetch_mb: 1";
        start();
        appliedHead();
        long generation = gateway.generation;
        byte[] noise = new byte[10 << 20];
        new java.util.Random(9).nextBytes(noise);
        repo.commitBytes("a big file beside the config", "config/big.bin", noise);
        Attempt a = reconcile();
        assertEquals(Result.FAILED, a.result(), a.toString());
        assertEquals("fetch", a.step());
        assertTrue(a.message().contains("stopped: its ") && a.message().contains("1 MiB (repository.max_fetch_mb)"), a.message());
        var fetched = reconciler.status().conditions().getFirst();
        assertEquals("FetchFailed", fetched.reason());
        assertEquals(generation, gateway.generation, "live state unchanged");
        assertEquals(Result.FAILED, reconcile().result(), "still answering, still refusing");
    }

    @Test
    void anUnreachableRemoteIsReportedAndTheLoopGoesOn() throws Exception {
        start(tmp.resolve("nowhere.git").toUri().toString(), "");
        Attempt a = reconcile();
        assertEquals(Result.FAILED, a.result());
        assertEquals("fetch", a.step());
        var fetched = reconciler.status().conditions().getFirst();
        assertEquals("fetched", fetched.type());
        assertEquals("FetchFailed", fetched.reason());
        assertEquals(Result.FAILED, reconcile().result(), "still answering");
    }
}
