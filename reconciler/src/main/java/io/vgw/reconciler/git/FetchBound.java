package io.vgw.reconciler.git;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.BlobObjectChecker;
import org.eclipse.jgit.lib.ObjectChecker;

/**
 * Bounds what one fetch may bring into the mirror, checked while the pack streams in, before anything is kept: a
 * remote that keeps sending cannot fill the state directory. Two measures, either stops the fetch: the objects'
 * bytes as they are inflated and checked (a blob chunk by chunk, so one huge blob is stopped part way), and the pack
 * file being received (deltas are only expanded once the whole pack is in, so they are bounded by its size; the
 * {@link Watchdog} looks at it on every object and every few milliseconds). JGit deletes the unfinished pack.
 */
final class FetchBound extends ObjectChecker {
    /** Thrown from inside JGit's pack parser (its blob checker cannot throw a checked exception). */
    static final class Exceeded extends RuntimeException {
        Exceeded(String message) {
            super(message, null, false, false);
        }
    }

    private final long max;
    private final Path objects;
    private long inflated;
    private volatile String exceeded;

    /** @param objects the mirror's objects directory, where JGit writes the incoming pack; null when none comes */
    FetchBound(long maxBytes, Path objects) {
        this.max = maxBytes;
        this.objects = objects;
    }

    long max() {
        return max;
    }

    /** What went over the bound, or null while within it. */
    String exceeded() {
        return exceeded;
    }

    @Override
    public void check(AnyObjectId id, int objType, byte[] raw) throws CorruptObjectException {
        count(raw.length);
        super.check(id, objType, raw);
    }

    @Override
    public BlobObjectChecker newBlobObjectChecker() {
        return new BlobObjectChecker() {
            @Override
            public void update(byte[] in, int p, int len) {
                count(len);
            }

            @Override
            public void endBlob(AnyObjectId id) {
                // counted as it streamed
            }
        };
    }

    /** Refuses an object before it is read when it alone is over what is left (a local fetch reads objects whole). */
    void admit(long bytes) {
        if (inflated + bytes > max) throw exceed("its objects hold more than " + mib(max));
    }

    private void count(long bytes) {
        inflated += bytes;
        if (inflated > max) throw exceed("its objects hold more than " + mib(max));
    }

    /** Whether the pack being received is over the bound (then {@link #exceeded()} says so). */
    boolean packTooLarge() {
        if (exceeded != null) return true;
        if (objects == null) return false;
        long size = 0;
        for (Path dir : new Path[] {objects, objects.resolve("pack")}) {
            try (DirectoryStream<Path> incoming = Files.newDirectoryStream(dir, "incoming_*")) {
                for (Path p : incoming) size += Files.size(p);
            } catch (IOException e) {
                // gone meanwhile (JGit renamed or deleted it): nothing incoming there
            }
        }
        if (size <= max) return false;
        exceed("its pack is over " + mib(max));
        return true;
    }

    private Exceeded exceed(String what) {
        exceeded = what;
        return new Exceeded(what);
    }

    static String mib(long bytes) {
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + " bytes";
    }
}
