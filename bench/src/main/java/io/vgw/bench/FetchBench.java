package io.vgw.bench;

import io.vgw.reconciler.git.GitMirror;
import io.vgw.reconciler.git.RemoteSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reconciler's fetch of one pushed commit (a reweight: a commit, two trees, a file) from a repository on the
 * same machine, as in the lab: {@code local} copies it from the repository directly (a file:// URL), {@code
 * transport} goes through JGit's in-process upload-pack (the same repository named by a relative path, which the
 * direct copy leaves to JGit). Run side by side, one after the other in one run. {@code bench/run FetchBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FetchBench {
    @Param({"local", "transport"})
    String remote;

    Path dir;
    Repository origin;
    GitMirror mirror;
    int weight;

    @Setup
    public void setup() throws Exception {
        dir = Files.createTempDirectory("vgw-fetch-bench");
        Path bare = dir.resolve("origin.git");
        origin = new FileRepositoryBuilder().setGitDir(bare.toFile()).setBare().build();
        origin.create(true);
        push();
        String url = remote.equals("local") ? bare.toUri().toString() : "../origin.git"; // JGit: from the mirror
        mirror = GitMirror.open(dir.resolve("mirror.git"), new RemoteSettings(url, null));
        mirror.fetch("main");
    }

    /** A new commit on main before every fetch, and the mirror repacked as the reconciler does (not measured). */
    @Setup(Level.Invocation)
    public void push() throws Exception {
        if (mirror != null) mirror.compact(32);
        try (ObjectInserter in = origin.newObjectInserter()) {
            byte[] yaml = ("name: echo\nvip: 192.0.2.30\nport: 7\nservers:\n  - {address: 203.0.113.11, weight: "
                    + (100 + weight++) + "}\n  - {address: 203.0.113.12, weight: 100}\n").getBytes(StandardCharsets.UTF_8);
            TreeFormatter services = new TreeFormatter();
            services.append("echo.yaml", FileMode.REGULAR_FILE, in.insert(Constants.OBJ_BLOB, yaml));
            TreeFormatter root = new TreeFormatter();
            root.append("services", FileMode.TREE, in.insert(services));
            CommitBuilder c = new CommitBuilder();
            c.setTreeId(in.insert(root));
            ObjectId head = origin.resolve("refs/heads/main");
            if (head != null) c.setParentId(head);
            PersonIdent who = new PersonIdent("bench", "bench@vgw.invalid");
            c.setAuthor(who);
            c.setCommitter(who);
            c.setMessage("reweight " + weight);
            ObjectId commit = in.insert(c);
            in.flush();
            RefUpdate u = origin.updateRef("refs/heads/main");
            u.setNewObjectId(commit);
            u.setForceUpdate(true);
            u.update();
        }
    }

    @Benchmark
    public ObjectId fetch() throws Exception {
        return mirror.fetch("main");
    }

    @TearDown
    public void tearDown() throws IOException {
        mirror.close();
        origin.close();
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
