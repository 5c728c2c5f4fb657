package io.vgw.reconciler.state;

import io.vgw.config.load.SourceFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a reconciler must not lose, in its state directory, each file replaced whole (temp file, fsync, rename, fsync
 * of the directory) so a crash leaves the old or the new file, never a torn one:
 *
 * <pre>
 * applied.json  the config the gateway runs and its revision: re-applied at once when the gateway restarts
 * pending.json  the config being applied, written before the gateway is asked; after a kill -9 it tells whether the
 *               gateway took it (its revision is live: it becomes applied.json) or not (it is dropped)
 * control.json  the operator's word and the loop's memory: suspended, pinned, the revision that failed
 * </pre>
 *
 * pending.json is only renamed into place, not synced: it must outlive the reconciler (a kill -9 leaves the page
 * cache), not the machine, since a power loss restarts the gateway empty too and applied.json is re-applied. It is
 * synced when it becomes applied.json, after the read-back: no fsync on the way from push to live.
 */
public final class StateStore {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A config as sent to the gateway. */
    public record Applied(String revision, String ref, Instant at, List<SourceFile> files) {}

    /**
     * @param pinned the commit the operator pinned (null: follow the ref)
     * @param failed the commit that failed (not retried until the ref moves) and why
     */
    public record Control(boolean suspended, String pinned, String failed, String failedStep, String failedReason) {
        public static final Control NONE = new Control(false, null, null, null, null);

        public Control withSuspended(boolean s) {
            return new Control(s, pinned, failed, failedStep, failedReason);
        }

        public Control withPinned(String p) {
            return new Control(suspended, p, failed, failedStep, failedReason);
        }

        public Control withFailed(String revision, String step, String reason) {
            return new Control(suspended, pinned, revision, step, reason);
        }
    }

    private final Path dir;

    private StateStore(Path dir) {
        this.dir = dir;
    }

    /** Creates the directory (0700) when missing. */
    public static StateStore open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return new StateStore(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Whether a failure is a disk that cannot take a write (full or read-only): what the state directory owns. */
    public static boolean diskFailure(String message) {
        return message != null && (message.contains("No space left on device") || message.contains("Read-only file system"));
    }

    /**
     * The message, with what to do when it is a disk failure: the mirror and the records live in the state directory,
     * so it is named (once, whichever of them failed).
     */
    public String withDiskHint(String message) {
        if (!diskFailure(message)) return message;
        return message + "; the state directory " + dir + " is full or read-only: free space or make it writable (the "
                + "gateway keeps what it runs; the next poll tries again)";
    }

    public Optional<Applied> applied() throws IOException {
        return read("applied.json", Applied.class);
    }

    public Optional<Applied> pending() throws IOException {
        return read("pending.json", Applied.class);
    }

    public Control control() throws IOException {
        return read("control.json", Control.class).orElse(Control.NONE);
    }

    /** Records the config about to be applied; throws (and nothing is applied) when the disk cannot hold it. */
    public void savePending(Applied a) throws IOException {
        write("pending.json", a, false);
    }

    /** The pending config is live: synced, then it becomes the applied one in one rename. */
    public void commitPending() throws IOException {
        Path pending = dir.resolve("pending.json");
        try (FileChannel ch = FileChannel.open(pending, StandardOpenOption.READ)) {
            ch.force(true);
        }
        Files.move(pending, dir.resolve("applied.json"), StandardCopyOption.ATOMIC_MOVE);
        syncDirectory();
    }

    public void dropPending() throws IOException {
        Files.deleteIfExists(dir.resolve("pending.json"));
    }

    public void saveControl(Control c) throws IOException {
        write("control.json", c, true);
    }

    private <T> Optional<T> read(String name, Class<T> type) throws IOException {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(dir.resolve(name)), type));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (tools.jackson.core.JacksonException e) {
            throw new IOException(dir.resolve(name) + " is not what this reconciler wrote (" + e.getOriginalMessage()
                    + "); move it away to start from the repository again", e);
        }
    }

    /** @param sync whether the file and its rename are made durable (fsync) before this returns */
    private void write(String name, Object value, boolean sync) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(value);
        Path temp = dir.resolve("." + name + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) ch.write(buffer);
            if (sync) ch.force(true);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new IOException("cannot write " + dir.resolve(name) + ": " + e.getMessage(), e);
        }
        Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        if (sync) syncDirectory();
    }

    /** Makes the renames durable. */
    private void syncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
