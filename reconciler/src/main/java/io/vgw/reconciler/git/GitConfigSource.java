package io.vgw.reconciler.git;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.errors.RevisionSyntaxException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilter;

/**
 * Reads the config files of one revision straight from a Git repository's object database: no working tree, no
 * checkout, so a CI job or the reconciler can compare any two revisions without touching files.
 */
public final class GitConfigSource implements AutoCloseable {
    /** Files of one commit, with the commit's id for reports. */
    public record Snapshot(String commit, String label, List<SourceFile> files) {}

    private static final int MAX_FILE_BYTES = 4 << 20; // the YAML reader refuses above 1 Mi characters anyway

    private final Repository repository;
    private final Path location;

    private GitConfigSource(Repository repository, Path location) {
        this.repository = repository;
        this.location = location;
    }

    /** Opens a repository (its work tree, its .git folder, or a bare repository). */
    public static GitConfigSource open(Path path) throws IOException {
        if (!Files.exists(path)) throw new IllegalArgumentException(path + " does not exist");
        FileRepositoryBuilder builder = new FileRepositoryBuilder().setMustExist(true);
        builder.findGitDir(path.toFile());
        if (builder.getGitDir() == null) {
            Path bare = path.toAbsolutePath();
            if (!Files.exists(bare.resolve("objects")) || !Files.exists(bare.resolve("HEAD"))) {
                throw new IllegalArgumentException(path + " is not inside a Git repository");
            }
            builder.setGitDir(bare.toFile());
        }
        return new GitConfigSource(builder.build(), path);
    }

    /**
     * The *.yaml and *.yml files under {@code directory} (relative to the repository root; "" for all) at a revision
     * (anything git rev-parse takes: a branch, a tag, a commit id, HEAD~2).
     */
    public Snapshot read(String revision, String directory) throws IOException {
        String prefix = directory == null ? "" : directory.replaceAll("^/+|/+$", "");
        ObjectId id;
        try {
            id = repository.resolve(revision + "^{commit}");
        } catch (RevisionSyntaxException e) {
            id = null;
        }
        if (id == null) {
            throw new IllegalArgumentException("unknown revision '" + revision + "' in " + location
                    + "; check it with: git -C " + location + " log --oneline");
        }
        try (RevWalk walk = new RevWalk(repository); ObjectReader reader = repository.newObjectReader();
             TreeWalk tree = new TreeWalk(repository, reader)) {
            RevCommit commit = walk.parseCommit(id);
            tree.addTree(commit.getTree());
            tree.setRecursive(true);
            if (!prefix.isEmpty()) tree.setFilter(PathFilter.create(prefix));
            List<SourceFile> files = new ArrayList<>();
            while (tree.next()) {
                String path = tree.getPathString();
                String relative = prefix.isEmpty() ? path : path.substring(prefix.length() + 1);
                if (!ConfigLoader.isConfigFile(Path.of(path)) || hidden(relative)) continue;
                ObjectId blob = tree.getObjectId(0);
                if (reader.getObjectSize(blob, Constants.OBJ_BLOB) > MAX_FILE_BYTES) {
                    throw new IllegalArgumentException(relative + ":1:1: yaml: file is larger than "
                            + MAX_FILE_BYTES / 1024 + " KiB; split it into several files");
                }
                byte[] bytes = reader.open(blob).getBytes();
                files.add(new SourceFile(relative, ConfigLoader.decode(bytes)));
            }
            String shortId = commit.abbreviate(10).name();
            String label = location + "@" + revision + (revision.startsWith(shortId) ? "" : " (" + shortId + ")");
            return new Snapshot(commit.name(), label, files);
        }
    }

    private static boolean hidden(String relative) {
        for (String part : relative.split("/")) if (part.startsWith(".")) return true;
        return false;
    }

    @Override
    public void close() {
        repository.close();
    }
}
