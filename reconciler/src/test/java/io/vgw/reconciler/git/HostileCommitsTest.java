package io.vgw.reconciler.git;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import org.eclipse.jgit.internal.storage.dfs.DfsRepositoryDescription;
import org.eclipse.jgit.internal.storage.dfs.InMemoryRepository;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commits a hostile author could push, read the way the reconciler reads them: made with git, fetched into its mirror
 * (packed objects), then read by {@link GitConfigSource} with every bound checked before anything is inflated. The two
 * with thousands of objects are crafted in memory with JGit's inserter (as a hostile client would craft them), which
 * keeps them fast.
 */
class HostileCommitsTest {
    @TempDir
    Path dir;

    /** Fetches the pushed head into a fresh mirror and reads its config path there. */
    IllegalArgumentException refused(GitFixture repo) throws Exception {
        try (GitMirror mirror = GitMirror.open(dir.resolve("mirror.git"), new RemoteSettings(repo.url(), null))) {
            ObjectId head = mirror.fetch("main");
            GitConfigSource source = GitConfigSource.of(mirror.repository(), dir); // the mirror closes the repository
            return assertThrows(IllegalArgumentException.class, () -> source.read(head.name(), "lb"));
        }
    }

    @Test
    void aFiftyMegabyteFileIsRefusedByItsHeader() throws Exception {
        GitFixture repo = new GitFixture(dir);
        Files.createDirectories(repo.work.resolve("lb/services"));
        try (RandomAccessFile big = new RandomAccessFile(repo.work.resolve("lb/services/big.yaml").toFile(), "rw")) {
            big.setLength(50L << 20);
        }
        repo.commit("lb/cluster.yaml", "cluster: a\n");
        assertEquals("services/big.yaml:1:1: yaml: file is 51200 KiB, more than the 4096 KiB a config file may have;"
                + " split it into several files", refused(repo).getMessage());
    }

    @Test
    void aSymlinkIsRefusedWhereverItPoints() throws Exception {
        GitFixture repo = new GitFixture(dir);
        Files.createDirectories(repo.work.resolve("lb/services"));
        Files.createSymbolicLink(repo.work.resolve("lb/services/passwd.yaml"), Path.of("../../../../etc/passwd"));
        repo.commit("lb/cluster.yaml", "cluster: a\n");
        assertEquals("services/passwd.yaml: a symbolic link; vgw reads only regular files from Git (a link may point"
                + " outside the config path): commit the file itself", refused(repo).getMessage());
    }

    @Test
    void theConfigPathItselfAsASymlinkIsRefused() throws Exception {
        GitFixture repo = new GitFixture(dir);
        Files.createDirectories(repo.work.resolve("real"));
        Files.createSymbolicLink(repo.work.resolve("lb"), Path.of("../../outside"));
        repo.commit("real/cluster.yaml", "cluster: a\n");
        assertTrue(refused(repo).getMessage().startsWith("lb: a symbolic link;"));
    }

    @Test
    void aSubmoduleIsRefused() throws Exception {
        GitFixture repo = new GitFixture(dir);
        String other = repo.commit("lb/cluster.yaml", "cluster: a\n");
        repo.git("update-index", "--add", "--cacheinfo", "160000," + other + ",lb/shared");
        repo.git("commit", "-q", "-m", "a submodule");
        repo.git("push", "-q", "origin", "HEAD:main");
        assertEquals("shared: a submodule (commit " + other + "); vgw does not read submodules: commit the files into"
                + " this repository", refused(repo).getMessage());
    }

    @Test
    void aMalformedTreeIsRefusedByTheFetch() throws Exception {
        GitFixture repo = new GitFixture(dir);
        repo.commit("lb/cluster.yaml", "cluster: a\n");
        try (Repository origin = new FileRepositoryBuilder().setGitDir(repo.origin.toFile()).setMustExist(true).build();
             ObjectInserter inserter = origin.newObjectInserter()) {
            TreeFormatter evil = new TreeFormatter(); // a ".git" folder: git itself refuses to check such a tree out
            evil.append("x.yaml", FileMode.REGULAR_FILE, inserter.insert(Constants.OBJ_BLOB, "x: 1\n".getBytes()));
            ObjectId id = commit(inserter, folder("lb", folder(".git", inserter.insert(evil), inserter), inserter));
            RefUpdate update = origin.updateRef("refs/heads/main");
            update.setNewObjectId(id);
            update.setForceUpdate(true);
            assertEquals(RefUpdate.Result.FORCED, update.update());
            try (GitMirror mirror = GitMirror.open(dir.resolve("mirror.git"), new RemoteSettings(repo.url(), null))) {
                var e = assertThrows(GitException.class, () -> mirror.fetch("main"));
                assertTrue(e.getMessage().startsWith("fetching " + repo.url() + " failed: "), e.getMessage());
                assertTrue(e.getMessage().contains(".git"), e.getMessage());
            }
        }
    }

    @Test
    void tenThousandServicesAreReadWithinTheBounds() throws Exception {
        try (Repository repo = new InMemoryRepository(new DfsRepositoryDescription("many"));
             ObjectInserter inserter = repo.newObjectInserter()) {
            TreeMap<String, ObjectId> services = new TreeMap<>(); // tree entries are sorted by name
            for (int i = 0; i < 10_000; i++) {
                String text = "service: s" + i + "\nvip: 192.0.2." + (i % 250) + "\nport: " + (1000 + i)
                        + "\nservers:\n  - {address: 203.0.113." + (i % 250) + ", weight: 100}\n";
                services.put("s" + i + ".yaml", inserter.insert(Constants.OBJ_BLOB, text.getBytes(StandardCharsets.UTF_8)));
            }
            TreeFormatter folder = new TreeFormatter();
            services.forEach((name, blob) -> folder.append(name, FileMode.REGULAR_FILE, blob));
            ObjectId id = commit(inserter, folder("lb", folder("services", inserter.insert(folder), inserter), inserter));
            var snapshot = GitConfigSource.of(repo, dir).read(id.name(), "lb");
            assertEquals(10_000, snapshot.files().size());
            assertTrue(snapshot.files().stream().anyMatch(f -> f.path().equals("services/s9999.yaml")
                    && f.text().startsWith("service: s9999\n")));
        }
    }

    @Test
    void aTreeTenThousandFoldersDeepIsRefusedAtTheBound() throws Exception {
        try (Repository repo = new InMemoryRepository(new DfsRepositoryDescription("deep"));
             ObjectInserter inserter = repo.newObjectInserter()) {
            TreeFormatter leaf = new TreeFormatter();
            leaf.append("x.yaml", FileMode.REGULAR_FILE, inserter.insert(Constants.OBJ_BLOB, "x: 1\n".getBytes()));
            ObjectId tree = inserter.insert(leaf);
            for (int i = 0; i < 10_000; i++) tree = folder("d", tree, inserter); // bottom-up, as a hostile client would
            ObjectId id = commit(inserter, folder("lb", tree, inserter));
            var e = assertThrows(IllegalArgumentException.class, () -> GitConfigSource.of(repo, dir).read(id.name(), "lb"));
            assertEquals("d/".repeat(31) + "d: folders nested deeper than 32 levels under 'lb'", e.getMessage());
        }
    }

    /** A tree holding one folder. */
    static ObjectId folder(String name, ObjectId content, ObjectInserter inserter) throws Exception {
        TreeFormatter tree = new TreeFormatter();
        tree.append(name, FileMode.TREE, content);
        return inserter.insert(tree);
    }

    static ObjectId commit(ObjectInserter inserter, ObjectId tree) throws Exception {
        CommitBuilder commit = new CommitBuilder();
        commit.setTreeId(tree);
        PersonIdent who = new PersonIdent("Mallory", "mallory@example.org");
        commit.setAuthor(who);
        commit.setCommitter(who);
        commit.setMessage("hostile");
        ObjectId id = inserter.insert(commit);
        inserter.flush();
        return id;
    }
}
