package io.vgw.reconciler.git;

import io.vgw.reconciler.state.StateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeoutException;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TagOpt;

/**
 * A local bare mirror of the remote's branches and tags under the state directory. It persists between runs, so a
 * fetch transfers only the objects that are new; every fetch is bounded by {@link RemoteSettings#timeout()}. A remote
 * on this machine is copied from directly ({@link LocalFetch}), any other goes through JGit's transports.
 */
public final class GitMirror implements AutoCloseable {
    private static final List<RefSpec> MIRROR = List.of(
            new RefSpec("+refs/heads/*:refs/heads/*"), new RefSpec("+refs/tags/*:refs/tags/*"));

    /** At most this many objects per rehearsal (a commit touching 10,000 files would take a slice of its own). */
    private static final int REHEARSED_OBJECTS = 64;

    private final Repository repository;
    private final RemoteSettings remote;
    private final Transports transports;
    /** Set when the remote is on this machine: then its objects are copied, not fetched through a transport. */
    private final LocalFetch local;

    private GitMirror(Repository repository, RemoteSettings remote, Transports transports) {
        this.repository = repository;
        this.remote = remote;
        this.transports = transports;
        this.local = LocalFetch.of(remote.url());
    }

    /** Opens the mirror in {@code mirrorDir}, creating an empty bare repository there the first time. */
    public static GitMirror open(Path mirrorDir, RemoteSettings remote) throws GitException {
        Transports transports = Transports.of(remote);
        try {
            Repository repo = new FileRepositoryBuilder().setGitDir(mirrorDir.toFile()).setBare().build();
            if (!Files.exists(mirrorDir.resolve("objects"))) repo.create(true);
            return new GitMirror(repo, remote, transports);
        } catch (IOException | IllegalStateException e) {
            transports.close();
            throw new GitException("cannot open the Git mirror " + mirrorDir + ": " + e.getMessage()
                    + "; check that the state directory is writable (or remove a damaged mirror: it is refetched)", e);
        }
    }

    /**
     * Fetches what is new and returns the commit {@code ref} (a branch or tag name, or a full {@code refs/...} name)
     * points at; an annotated tag is peeled to its commit.
     */
    public ObjectId fetch(String ref) throws GitException {
        // The fetch runs on its own thread, watched: JGit bounds connecting and each read by the timeout, but not
        // every wait (an ssh server that accepts and never sends its greeting holds the login for minutes).
        FetchBound bound = bound();
        Watchdog watchdog = new Watchdog(remote.timeout(), bound);
        FutureTask<Void> task = new FutureTask<>(() -> {
            if (local != null) {
                local.fetchInto(repository, bound, watchdog);
                return null;
            }
            try (Git git = Git.wrap(repository)) {
                git.fetch().setRemote(remote.url()).setRefSpecs(MIRROR).setTagOpt(TagOpt.NO_TAGS)
                        .setRemoveDeletedRefs(true)
                        .setCheckFetchedObjects(true) // malformed objects (bad modes, "..", ".git" names) are refused
                        .setTimeout(transports.timeoutSeconds())
                        .setTransportConfigCallback(transport -> {
                            transports.configure(transport);
                            transport.setObjectChecker(bound); // after setCheckFetchedObjects, which set the plain one
                        })
                        .setCredentialsProvider(transports.credentials())
                        .setProgressMonitor(watchdog)
                        .call();
            }
            return null;
        });
        Thread worker = Thread.ofVirtual().name("vgw-fetch").start(task);
        try {
            watchdog.await(task, worker);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (watchdog.isCancelled()) throw stalled(cause);
            if (cause instanceof InvalidRemoteException || cause instanceof LocalFetch.NoRepository) {
                throw new GitException("fetching " + remote.url() + " failed: no repository there"
                        + "; check the URL in reconcile.yaml", cause);
            }
            String failure = Transports.describe(cause);
            // A disk that cannot take the mirror is not the remote's fault: the state directory's owner says what to do.
            String hint = StateStore.diskFailure(failure) ? "" : "; " + transports.hint(failure);
            throw new GitException("fetching " + remote.url() + " failed: " + failure + hint
                    + "; the last applied revision stays live", cause);
        } catch (TimeoutException e) {
            throw stalled(e);
        } catch (Watchdog.TooLarge e) {
            throw new GitException("fetching " + remote.url() + " stopped: " + bound.exceeded() + " (repository."
                    + "max_fetch_mb); a config repository is far smaller: look at what was pushed, or raise the bound;"
                    + " nothing of it was kept, and the last applied revision stays live", e);
        } catch (InterruptedException e) {
            worker.interrupt();
            Thread.currentThread().interrupt();
            throw new GitException("fetching " + remote.url() + " was interrupted (shutting down?)", e);
        }
        ObjectId id = resolve(ref);
        if (id == null) {
            throw new GitException(remote.url() + " has no branch or tag '" + ref
                    + "'; check the ref in reconcile.yaml (git ls-remote " + remote.url() + ")");
        }
        return id;
    }

    private GitException stalled(Throwable cause) {
        return new GitException("fetching " + remote.url() + " failed: the remote did not answer for "
                + remote.timeout().toSeconds() + " s (timeout); check that it is up and reachable, or raise the timeout;"
                + " the last applied revision stays live", cause);
    }

    /**
     * While idle, for a local remote: runs a fetch's copy over {@code commit} (already here) as if a push had brought
     * it, dropping the result, so the first push after a start does not run that code cold. Does nothing for a
     * remote reached through a transport.
     */
    public void rehearseFetch(ObjectId commit) throws GitException {
        if (local == null) return;
        try {
            LocalFetch.rehearse(repository, commit, bound(), REHEARSED_OBJECTS);
        } catch (IOException | RuntimeException e) {
            throw new GitException("rehearsing a fetch of " + commit.name() + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * A fresh bound on one fetch's objects (a fetch's or a rehearsal's). A local copy receives no pack (each object
     * is bounded before it is read), so its watchdog does not list the objects directory on every tick.
     */
    private FetchBound bound() {
        return new FetchBound(remote.maxFetchBytes(), local != null ? null : repository.getDirectory().toPath().resolve("objects"));
    }

    /** The commit a branch, tag, full ref name or commit id names in the mirror, or null when there is none. */
    public ObjectId resolve(String rev) throws GitException {
        try {
            for (String name : List.of("refs/heads/" + rev, "refs/tags/" + rev, rev)) {
                ObjectId id = repository.resolve(name + "^{commit}");
                if (id != null) return id;
            }
            return null;
        } catch (IOException | RuntimeException e) {
            throw new GitException("cannot resolve '" + rev + "' in the mirror: " + e.getMessage(), e);
        }
    }

    /**
     * Whether {@code ancestor} is reachable from {@code head}: false means the history was rewritten (a force-push)
     * or {@code ancestor} is not in the mirror at all.
     */
    public boolean contains(ObjectId head, ObjectId ancestor) throws GitException {
        try (RevWalk walk = new RevWalk(repository)) {
            return walk.isMergedInto(walk.parseCommit(ancestor), walk.parseCommit(head));
        } catch (MissingObjectException e) {
            return false;
        } catch (IOException e) {
            throw new GitException("cannot walk the history in the mirror " + repository.getDirectory() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Every fetch leaves a small pack, and every object lookup searches them all: once there are more than
     * {@code maxPacks}, they are repacked into one (JGit's gc; what is unreachable stays until it is old).
     *
     * @return whether it repacked
     */
    public boolean compact(int maxPacks) throws GitException {
        try {
            if (((org.eclipse.jgit.internal.storage.file.ObjectDirectory) repository.getObjectDatabase()).getPacks().size() <= maxPacks) {
                return false;
            }
            // The old packs go at once (JGit keeps them an hour for concurrent readers; this loop is the only one).
            repository.getConfig().setString(ConfigConstants.CONFIG_GC_SECTION, null,
                    ConfigConstants.CONFIG_KEY_PRUNEPACKEXPIRE, "now");
            Git.wrap(repository).gc().call();
            return true;
        } catch (org.eclipse.jgit.api.errors.GitAPIException | RuntimeException e) {
            throw new GitException("repacking the mirror " + repository.getDirectory() + " failed: " + e.getMessage(), e);
        }
    }

    public Repository repository() {
        return repository;
    }

    @Override
    public void close() {
        if (local != null) local.close();
        repository.close();
        transports.close();
    }
}
