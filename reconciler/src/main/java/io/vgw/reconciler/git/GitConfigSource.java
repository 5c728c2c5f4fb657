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
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
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

    // Bounds checked before anything is read, so a hostile commit costs no more than these (a 10,000-service config
    // is about 3 MiB in 10,000 files).
    private static final int MAX_FILE_BYTES = 4 << 20; // the YAML reader refuses above 1 Mi characters anyway
    private static final long MAX_TOTAL_BYTES = 64L << 20;
    private static final int MAX_FILES = 50_000;
    private static final long MAX_ENTRIES = 200_000; // files and folders, config or not
    private static final int MAX_DEPTH = 32;
    private static final long MAX_TREE_BYTES = 16L << 20; // one folder's listing
    private static final long MAX_COMMIT_BYTES = 1L << 20;

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

    /** Reads from an open repository (e.g. the reconciler's mirror); closing the source closes it. */
    public static GitConfigSource of(Repository repository, Path location) {
        return new GitConfigSource(repository, location);
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
            if (reader.getObjectSize(id, Constants.OBJ_COMMIT) > MAX_COMMIT_BYTES) {
                throw new IllegalArgumentException("commit " + id.abbreviate(10).name() + " is larger than "
                        + (MAX_COMMIT_BYTES >> 10) + " KiB; vgw does not read it");
            }
            RevCommit commit = walk.parseCommit(id);
            checkTree(reader, commit.getTree(), "/");
            tree.addTree(commit.getTree());
            tree.setRecursive(false); // subtrees are entered one by one, so depth is checked before descending
            if (!prefix.isEmpty()) tree.setFilter(PathFilter.create(prefix));
            List<SourceFile> files = new ArrayList<>();
            long entries = 0;
            long totalBytes = 0;
            boolean exists = prefix.isEmpty();
            while (tree.next()) {
                String path = tree.getPathString();
                FileMode mode = tree.getFileMode(0);
                boolean top = path.equals(prefix);
                if (!prefix.isEmpty() && !top && !path.startsWith(prefix + "/")) { // on the way to the config path
                    if (mode == FileMode.SYMLINK) throw symlink(path);
                    if (tree.isSubtree()) {
                        checkTree(reader, tree.getObjectId(0), path);
                        tree.enterSubtree();
                    }
                    continue;
                }
                exists = true;
                if (++entries > MAX_ENTRIES) {
                    throw new IllegalArgumentException(where(prefix) + " holds more than " + MAX_ENTRIES
                            + " files and folders; keep only config there");
                }
                String relative = top || prefix.isEmpty() ? path : path.substring(prefix.length() + 1);
                if (!top && hidden(relative)) continue;
                if (mode == FileMode.SYMLINK) throw symlink(relative);
                if (mode == FileMode.GITLINK) {
                    throw new IllegalArgumentException(relative + ": a submodule (commit " + tree.getObjectId(0).name()
                            + "); vgw does not read submodules: commit the files into this repository");
                }
                if (tree.isSubtree()) {
                    if (!top && depth(relative) >= MAX_DEPTH) {
                        throw new IllegalArgumentException(relative + ": folders nested deeper than " + MAX_DEPTH
                                + " levels under " + where(prefix));
                    }
                    checkTree(reader, tree.getObjectId(0), relative);
                    tree.enterSubtree();
                    continue;
                }
                if (!ConfigLoader.isConfigFile(Path.of(path))) continue;
                if (files.size() >= MAX_FILES) {
                    throw new IllegalArgumentException(where(prefix) + " holds more than " + MAX_FILES
                            + " config files; vgw reads at most that many");
                }
                ObjectLoader blob = reader.open(tree.getObjectId(0), Constants.OBJ_BLOB);
                long size = blob.getSize(); // from the object's header: nothing is inflated yet
                if (size > MAX_FILE_BYTES) {
                    throw new IllegalArgumentException(relative + ":1:1: yaml: file is " + size / 1024
                            + " KiB, more than the " + MAX_FILE_BYTES / 1024 + " KiB a config file may have;"
                            + " split it into several files");
                }
                totalBytes += size;
                if (totalBytes > MAX_TOTAL_BYTES) {
                    throw new IllegalArgumentException(where(prefix) + ": config files add up to more than "
                            + (MAX_TOTAL_BYTES >> 20) + " MiB; vgw reads at most that much");
                }
                files.add(new SourceFile(relative, ConfigLoader.decode(blob.getBytes(MAX_FILE_BYTES))));
            }
            String shortId = commit.abbreviate(10).name();
            if (!exists) {
                throw new IllegalArgumentException("there is no " + prefix + " in " + location + " at " + revision
                        + " (" + shortId + "); list what is there with: git -C " + location + " ls-tree --name-only "
                        + shortId);
            }
            String label = location + "@" + revision + (revision.startsWith(shortId) ? "" : " (" + shortId + ")");
            return new Snapshot(commit.name(), label, files);
        }
    }

    /** A tree is read whole when entered: its size is checked first. */
    private static void checkTree(ObjectReader reader, ObjectId tree, String path) throws IOException {
        long size = reader.getObjectSize(tree, Constants.OBJ_TREE);
        if (size > MAX_TREE_BYTES) {
            throw new IllegalArgumentException(path + ": a folder listing of " + (size >> 10) + " KiB, more than the "
                    + (MAX_TREE_BYTES >> 10) + " KiB vgw reads; keep only config there");
        }
    }

    private static IllegalArgumentException symlink(String path) {
        return new IllegalArgumentException(path + ": a symbolic link; vgw reads only regular files from Git (a link"
                + " may point outside the config path): commit the file itself");
    }

    private static String where(String prefix) {
        return prefix.isEmpty() ? "the repository" : "'" + prefix + "'";
    }

    private static int depth(String relative) {
        int depth = 1;
        for (int i = 0; i < relative.length(); i++) if (relative.charAt(i) == '/') depth++;
        return depth;
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
