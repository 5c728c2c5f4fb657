package io.vgw.reconciler.git;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitConfigSourceTest {
    @TempDir
    Path dir;

    static void write(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    @Test
    void readsRevisionsWithoutTouchingTheWorkTree() throws Exception {
        try (Git git = Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call()) {
            write(dir.resolve("lb/cluster.yaml"), "cluster: a\n");
            write(dir.resolve("lb/services/web.yaml"), "service: web\n");
            write(dir.resolve("lb/.hidden/x.yaml"), "ignored: true\n");
            write(dir.resolve("README.md"), "not config\n");
            git.add().addFilepattern(".").call();
            git.commit().setMessage("first").setSign(false).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();
            write(dir.resolve("lb/services/web.yaml"), "service: web2\n");
            git.add().addFilepattern(".").call();
            git.commit().setMessage("second").setSign(false).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();
            // An uncommitted edit must not show in any revision.
            write(dir.resolve("lb/services/web.yaml"), "service: dirty\n");
        }
        try (GitConfigSource source = GitConfigSource.open(dir)) {
            GitConfigSource.Snapshot first = source.read("HEAD~1", "lb");
            assertEquals(List.of(new SourceFile("cluster.yaml", "cluster: a\n"), new SourceFile("services/web.yaml", "service: web\n")),
                    first.files());
            GitConfigSource.Snapshot second = source.read("main", "/lb/");
            assertEquals("service: web2\n", second.files().get(1).text());
            assertTrue(second.label().startsWith(dir + "@main ("), second.label());
            assertEquals(40, second.commit().length());

            var unknown = assertThrows(IllegalArgumentException.class, () -> source.read("nope", ""));
            assertTrue(unknown.getMessage().startsWith("unknown revision 'nope' in "), unknown.getMessage());
        }
    }

    @Test
    void examplesFromGitValidateLikeFromDisk() throws Exception {
        Path examples = Path.of("../examples");
        try (Git git = Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call()) {
            for (SourceFile f : ConfigLoader.readDirectory(examples)) write(dir.resolve(f.path()), f.text());
            git.add().addFilepattern(".").call();
            git.commit().setMessage("examples").setSign(false).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();
        }
        try (GitConfigSource source = GitConfigSource.open(dir)) {
            var snapshot = source.read("HEAD", "");
            assertEquals(ConfigLoader.load(examples).config(), ConfigLoader.load(snapshot.label(), snapshot.files()).config());
        }
    }

    @Test
    void notARepository() {
        var e = assertThrows(IllegalArgumentException.class, () -> GitConfigSource.open(dir));
        assertEquals(dir + " is not inside a Git repository", e.getMessage());
    }
}
