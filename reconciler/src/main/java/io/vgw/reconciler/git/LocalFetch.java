package io.vgw.reconciler.git;

import java.io.File;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.revwalk.ObjectWalk;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.util.FS;

/**
 * A fetch from a repository on this machine (a {@code file://} URL or an absolute path, as in the lab): the objects
 * the mirror lacks are copied from it directly, instead of JGit's in-process upload-pack writing a pack over a pipe
 * that the mirror then parses, checks and indexes again (the largest step of a reconcile, and the coldest after a
 * start). The guarantees of a fetch hold: only what is new (walked from the remote's branches and tags, stopping at
 * what the mirror's refs already hold), every object's size held against the {@link FetchBound} before it is read,
 * each object checked as a fetched one is ({@link ObjectChecker}: bad modes, "..", ".git" names), one pack written,
 * and the mirror's refs moved only once all of it is in (a copy stopped part way keeps nothing).
 */
final class LocalFetch implements AutoCloseable {
    private static final List<String> MIRRORED = List.of(Constants.R_HEADS, Constants.R_TAGS);

    private final File path;
    /** The remote, kept open between fetches (JGit sees new refs and objects by their files); null until found. */
    private Repository source;

    private LocalFetch(File path) {
        this.path = path;
    }

    /** A local fetch from {@code url}, or null when the URL names another host (ssh, http(s), a relative path). */
    static LocalFetch of(String url) {
        try {
            URIish uri = new URIish(url);
            boolean local = uri.getHost() == null && uri.getPath() != null && uri.getPath().startsWith("/")
                    && (uri.getScheme() == null || uri.getScheme().equals("file"));
            return local ? new LocalFetch(new File(uri.getPath())) : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /**
     * Copies what is new into {@code mirror} and makes its branches and tags those of the remote (deleted ones go).
     *
     * @throws NoRepository when there is no repository at the path
     */
    void fetchInto(Repository mirror, FetchBound bound, ProgressMonitor monitor) throws IOException {
        Repository from = source();
        try {
            copy(from, mirror, bound, monitor);
        } catch (IOException | RuntimeException e) {
            close(); // reopened next time: the repository may have been replaced
            throw e;
        }
    }

    private Repository source() throws NoRepository, IOException {
        if (source == null) {
            File dir = RepositoryCache.FileKey.resolve(path, FS.DETECTED);
            if (dir == null) throw new NoRepository(path + " is not a Git repository");
            source = new FileRepositoryBuilder().setGitDir(dir).setMustExist(true).build();
        }
        return source;
    }

    private static void copy(Repository from, Repository mirror, FetchBound bound, ProgressMonitor monitor)
            throws IOException {
        Map<String, ObjectId> theirs = refs(from);
        Map<String, ObjectId> ours = refs(mirror);
        try (ObjectReader reader = new Bounded(from.newObjectReader(), bound);
             ObjectWalk walk = new ObjectWalk(reader);
             ObjectReader mine = mirror.newObjectReader();
             PackInserter inserter = ((ObjectDirectory) mirror.getObjectDatabase()).newPackInserter()) {
            walk.setRetainBody(false);
            inserter.checkExisting(false); // asked below, once per object
            for (ObjectId id : theirs.values()) {
                if (!mine.has(id)) walk.markStart(walk.parseAny(id));
            }
            for (ObjectId id : ours.values()) {
                if (reader.has(id)) walk.markUninteresting(walk.parseAny(id));
            }
            int copied = 0;
            for (RevObject o = walk.next(); o != null; o = walk.next()) copied += copy(o, reader, mine, inserter, bound, monitor);
            for (RevObject o = walk.nextObject(); o != null; o = walk.nextObject()) copied += copy(o, reader, mine, inserter, bound, monitor);
            if (copied > 0) inserter.flush();
        }
        try (RevWalk walk = new RevWalk(mirror)) {
            for (Map.Entry<String, ObjectId> e : theirs.entrySet()) {
                if (!e.getValue().equals(ours.get(e.getKey()))) move(mirror, walk, e.getKey(), e.getValue());
            }
            for (String name : ours.keySet()) {
                if (!theirs.containsKey(name)) move(mirror, walk, name, null);
            }
        }
    }

    private static int copy(RevObject o, ObjectReader reader, ObjectReader mine, PackInserter inserter,
                            FetchBound bound, ProgressMonitor monitor) throws IOException {
        if (monitor.isCancelled() || Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException("the fetch was stopped");
        }
        monitor.update(1);
        if (mine.has(o)) return 0;
        copy(o, reader, inserter, bound);
        return 1;
    }

    /**
     * While idle: copies {@code commit} (a commit in {@code mirror}, as a push brings it: what its parents lack, at
     * most {@code maxObjects}) from the mirror into a pack that is dropped unwritten. The first push after a start
     * then meets this code compiled and its classes loaded.
     */
    static void rehearse(Repository mirror, ObjectId commit, FetchBound bound, int maxObjects) throws IOException {
        try (ObjectReader reader = new Bounded(mirror.newObjectReader(), bound);
             ObjectWalk walk = new ObjectWalk(reader);
             PackInserter inserter = ((ObjectDirectory) mirror.getObjectDatabase()).newPackInserter()) {
            walk.setRetainBody(false);
            RevCommit c = walk.parseCommit(commit);
            walk.markStart(c);
            for (RevCommit parent : c.getParents()) walk.markUninteresting(parent);
            int n = 0;
            for (RevObject o = walk.next(); o != null && n < maxObjects; o = walk.next(), n++) copy(o, reader, inserter, bound);
            for (RevObject o = walk.nextObject(); o != null && n < maxObjects; o = walk.nextObject(), n++) copy(o, reader, inserter, bound);
        } // not flushed: the pack is deleted
    }

    private static void copy(RevObject o, ObjectReader reader, PackInserter inserter, FetchBound bound)
            throws IOException {
        int type = o.getType();
        ObjectLoader loader = reader.open(o, type);
        if (type == Constants.OBJ_BLOB && loader.isLarge()) {
            var counted = bound.newBlobObjectChecker();
            try (InputStream in = new FilterInputStream(loader.openStream()) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    if (n > 0) counted.update(b, off, n);
                    return n;
                }
            }) {
                inserter.insert(type, loader.getSize(), in);
            }
            return;
        }
        byte[] raw = loader.getCachedBytes();
        if (type == Constants.OBJ_BLOB) {
            bound.newBlobObjectChecker().update(raw, 0, raw.length);
        } else {
            bound.check(o, type, raw); // counts it, then the checks a fetch makes
        }
        inserter.insert(type, raw);
    }

    private static void move(Repository mirror, RevWalk walk, String name, ObjectId to) throws IOException {
        RefUpdate u = mirror.updateRef(name);
        u.setForceUpdate(true);
        RefUpdate.Result r;
        if (to == null) {
            r = u.delete(walk);
        } else {
            u.setNewObjectId(to);
            r = u.update(walk);
        }
        switch (r) {
            case NEW, FORCED, FAST_FORWARD, NO_CHANGE -> { }
            default -> throw new IOException("cannot " + (to == null ? "delete " : "update ") + name
                    + " in the mirror: " + r);
        }
    }

    /** The branches and tags (symbolic ones as what they point at; unborn ones left out). */
    private static Map<String, ObjectId> refs(Repository repo) throws IOException {
        Map<String, ObjectId> refs = new HashMap<>();
        for (Ref ref : repo.getRefDatabase().getRefsByPrefix(MIRRORED.toArray(String[]::new))) {
            if (ref.getObjectId() != null) refs.put(ref.getName(), ref.getObjectId());
        }
        return refs;
    }

    @Override
    public void close() {
        if (source != null) source.close();
        source = null;
    }

    /** No repository at the local path. */
    static final class NoRepository extends IOException {
        NoRepository(String message) {
            super(message);
        }
    }

    /**
     * The remote's objects, each refused before it is read when it alone is over what the bound has left (the walk
     * reads commits and trees itself; they are counted as they are copied).
     */
    private static final class Bounded extends ObjectReader.Filter {
        private final ObjectReader delegate;
        private final FetchBound bound;

        Bounded(ObjectReader delegate, FetchBound bound) {
            this.delegate = delegate;
            this.bound = bound;
        }

        @Override
        protected ObjectReader delegate() {
            return delegate;
        }

        @Override
        public ObjectLoader open(AnyObjectId id) throws IOException {
            return open(id, OBJ_ANY);
        }

        @Override
        public ObjectLoader open(AnyObjectId id, int typeHint) throws MissingObjectException, IOException {
            bound.admit(delegate.getObjectSize(id, typeHint));
            return delegate.open(id, typeHint);
        }
    }
}
