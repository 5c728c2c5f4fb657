package io.vgw.reconciler.git;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.Pack;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitMirrorTest {
    @TempDir
    Path dir;

    @Test
    void followsABranchOverFileUrlsAndSeesAForcePush() throws Exception {
        GitFixture repo = new GitFixture(dir);
        String first = repo.commit("lb/cluster.yaml", "cluster: a\n");
        try (GitMirror mirror = GitMirror.open(dir.resolve("state/mirror.git"), new RemoteSettings(repo.url(), null))) {
            assertEquals(first, mirror.fetch("main").name());
            String second = repo.commit("lb/cluster.yaml", "cluster: b\n");
            Set<String> before = packs(mirror);
            ObjectId head = mirror.fetch("main");
            assertEquals(second, head.name());
            // Only what is new came over: one pack with the commit, its two trees and the changed file.
            Set<String> after = packs(mirror);
            after.removeAll(before);
            assertEquals(1, after.size());
            long received = 0;
            for (Pack pack : packsOf(mirror)) if (after.contains(pack.getPackName())) received += pack.getIndex().getObjectCount();
            assertEquals(4, received);
            assertTrue(mirror.contains(head, ObjectId.fromString(first)), "a fast-forward contains the old head");

            repo.git("reset", "-q", "--hard", first);
            String rewritten = repo.commit("lb/cluster.yaml", "cluster: c\n");
            ObjectId forced = mirror.fetch("main");
            assertEquals(rewritten, forced.name());
            assertFalse(mirror.contains(forced, ObjectId.fromString(second)), "a force-push drops the applied commit");
            assertFalse(mirror.contains(forced, ObjectId.fromString("0123456789012345678901234567890123456789")));
        }
        // The mirror persists: reopened, it already has the objects, and a local path works as a URL too.
        try (GitMirror mirror = GitMirror.open(dir.resolve("state/mirror.git"),
                new RemoteSettings(repo.origin.toString(), Duration.ofSeconds(5)))) {
            assertTrue(mirror.repository().getObjectDatabase().has(ObjectId.fromString(first)));
            assertEquals(repo.git("rev-parse", "HEAD"), mirror.fetch("refs/heads/main").name());
        }
    }

    static Collection<Pack> packsOf(GitMirror mirror) {
        return ((ObjectDirectory) mirror.repository().getObjectDatabase()).getPacks();
    }

    static Set<String> packs(GitMirror mirror) {
        Set<String> names = new HashSet<>();
        for (Pack pack : packsOf(mirror)) names.add(pack.getPackName());
        return names;
    }

    @Test
    void aFetchThatBringsTenTimesItsBoundIsStoppedAndNothingOfItIsKept() throws Exception {
        GitFixture repo = new GitFixture(dir);
        String first = repo.commit("lb/cluster.yaml", "cluster: a\n");
        Path objects = dir.resolve("mirror.git/objects");
        RemoteSettings oneMiB = new RemoteSettings(repo.url(), Duration.ofSeconds(30), null, null, null, null, 1 << 20);
        try (GitMirror mirror = GitMirror.open(dir.resolve("mirror.git"), oneMiB)) {
            assertEquals(first, mirror.fetch("main").name());
            Set<String> before = packs(mirror);
            // 10 MiB that does not compress (the pack itself is 10 MiB), then 10 MiB that does (a small pack that
            // inflates to 10 MiB): both are stopped while they stream in.
            byte[] noise = new byte[10 << 20];
            new java.util.Random(9).nextBytes(noise);
            for (byte[] big : List.of(noise, new byte[10 << 20])) {
                java.nio.file.Files.write(repo.work.resolve("lb/big.bin"), big);
                repo.git("add", "-A");
                repo.git("commit", "-q", "-m", "a big file");
                repo.git("push", "-q", "origin", "+HEAD:main");
                var e = assertThrows(GitException.class, () -> mirror.fetch("main"));
                assertTrue(e.getMessage().startsWith("fetching " + repo.url() + " stopped: its "), e.getMessage());
                assertTrue(e.getMessage().contains(" 1 MiB (repository.max_fetch_mb)"), e.getMessage());
                assertEquals(first, mirror.resolve("main").name(), "the mirror's ref did not move");
                assertEquals(before, packs(mirror), "no pack kept");
                try (var left = java.nio.file.Files.walk(objects)) {
                    assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("incoming_")).toList());
                }
                repo.git("reset", "-q", "--hard", first);
            }
        }
    }

    @Test
    void packsThatPileUpAreRepackedIntoOne() throws Exception {
        GitFixture repo = new GitFixture(dir);
        try (GitMirror mirror = GitMirror.open(dir.resolve("mirror.git"), new RemoteSettings(repo.url(), null))) {
            List<String> commits = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                commits.add(repo.commit("lb/cluster.yaml", "cluster: c" + i + "\n"));
                mirror.fetch("main");
            }
            assertEquals(4, packsOf(mirror).size(), "one pack per fetch");
            assertFalse(mirror.compact(4), "not more than the limit: left alone");
            assertTrue(mirror.compact(2));
            assertEquals(1, packsOf(mirror).size());
            for (String c : commits) assertTrue(mirror.contains(mirror.resolve("main"), ObjectId.fromString(c)));
            String next = repo.commit("lb/cluster.yaml", "cluster: next\n");
            assertEquals(next, mirror.fetch("main").name(), "fetches go on after the repack");
        }
    }

    @Test
    void annotatedTagsArePeeledToTheirCommit() throws Exception {
        GitFixture repo = new GitFixture(dir);
        String commit = repo.commit("lb/cluster.yaml", "cluster: a\n");
        repo.git("tag", "-a", "-m", "stable", "stable");
        repo.git("push", "-q", "origin", "stable");
        try (GitMirror mirror = GitMirror.open(dir.resolve("mirror.git"), new RemoteSettings(repo.url(), null))) {
            assertEquals(commit, mirror.fetch("stable").name());
            assertEquals(commit, mirror.fetch("refs/tags/stable").name());
        }
    }

    @Test
    void unknownRefAndMissingRepositoryAreClearErrors() throws Exception {
        GitFixture repo = new GitFixture(dir);
        repo.commit("lb/cluster.yaml", "cluster: a\n");
        try (GitMirror mirror = GitMirror.open(dir.resolve("mirror.git"), new RemoteSettings(repo.url(), null))) {
            var e = assertThrows(GitException.class, () -> mirror.fetch("nope"));
            assertEquals(repo.url() + " has no branch or tag 'nope'; check the ref in reconcile.yaml (git ls-remote "
                    + repo.url() + ")", e.getMessage());
        }
        String missing = dir.resolve("missing.git").toUri().toString();
        try (GitMirror mirror = GitMirror.open(dir.resolve("mirror2.git"), new RemoteSettings(missing, null))) {
            var e = assertThrows(GitException.class, () -> mirror.fetch("main"));
            assertTrue(e.getMessage().startsWith("fetching " + missing + " failed: "), e.getMessage());
            assertTrue(e.getMessage().contains("check"), e.getMessage());
        }
    }

    @Test
    void aLocalRemoteIsCopiedBranchesComeAndGoAndARehearsalKeepsNothing() throws Exception {
        GitFixture repo = new GitFixture(dir);
        String first = repo.commit("lb/cluster.yaml", "cluster: a\n");
        repo.git("push", "-q", "origin", "HEAD:refs/heads/side");
        try (GitMirror mirror = GitMirror.open(dir.resolve("mirror.git"), new RemoteSettings(repo.origin.toString(), null))) {
            assertEquals(first, mirror.fetch("main").name());
            assertEquals(first, mirror.resolve("side").name());
            repo.git("push", "-q", "origin", ":side");
            String second = repo.commit("lb/cluster.yaml", "cluster: b\n");
            assertEquals(second, mirror.fetch("main").name());
            assertEquals(null, mirror.resolve("side"), "a branch deleted in the remote is deleted in the mirror");
            // The idle warm-up's rehearsal copies the head again as a push would bring it, and keeps nothing.
            Path pack = dir.resolve("mirror.git/objects/pack");
            List<String> before;
            try (var files = java.nio.file.Files.list(pack)) {
                before = files.map(p -> p.getFileName().toString()).sorted().toList();
            }
            mirror.rehearseFetch(ObjectId.fromString(second));
            mirror.rehearseFetch(ObjectId.fromString(first)); // a root commit: its whole tree
            try (var files = java.nio.file.Files.list(pack)) {
                assertEquals(before, files.map(p -> p.getFileName().toString()).sorted().toList());
            }
            assertEquals(second, mirror.fetch("main").name(), "nothing new: nothing changes");
        }
    }
}
