package io.vgw.frr;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * FRR's shell, always through argv lists (never a shell string). Reads are {@code show ... json}; writes (apply a
 * config file) take a lock so there is one writer at a time: in this JVM, and across processes by a lock file next
 * to the daemons' sockets. vtysh is not atomic across daemons, so every call's exit status and output are checked.
 *
 * @param socketDir the daemons' vty socket folder ({@code --vty_socket}); empty: FRR's default (/var/run/frr)
 */
public record Vtysh(Optional<Path> socketDir) {
    public static final Path VTYSH = Path.of("/usr/bin/vtysh");
    public static final Path RELOAD = Path.of("/usr/lib/frr/frr-reload.py");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ReentrantLock WRITER = new ReentrantLock();
    private static final long TIMEOUT_SECONDS = 60;
    /** Bound on what we read back from vtysh: a show command's JSON for a few VIPs and neighbours is kilobytes. */
    private static final int MAX_OUTPUT = 16 << 20;

    public static Vtysh system() {
        return new Vtysh(Optional.empty());
    }

    public static Vtysh at(Path socketDir) {
        return new Vtysh(Optional.of(socketDir));
    }

    /** A failed vtysh (or frr-reload) call: the command, its exit status and output. */
    public static final class FrrException extends RuntimeException {
        public FrrException(String message) {
            super(message);
        }
    }

    /** The result of a call. */
    public record Result(int code, String output) {}

    /** {@code show ... json}: the parsed answer. */
    public JsonNode show(String command) {
        if (!command.startsWith("show ") || !command.endsWith(" json")) {
            throw new IllegalArgumentException("not a show ... json command: " + command);
        }
        Result r = run(vtysh("-c", command));
        if (r.code() != 0) throw new FrrException("vtysh -c '" + command + "' exited " + r.code() + ": " + r.output().strip());
        String text = r.output().strip();
        return text.isEmpty() ? JSON.createObjectNode() : JSON.readTree(text);
    }

    /** {@code vtysh -C -f FILE}: the file's problems (empty when FRR accepts its syntax); changes nothing. */
    public List<String> check(Path file) {
        Result r = run(vtysh("-C", "-f", file.toString()));
        return r.code() == 0 ? List.of() : problems(r.output(), r.code());
    }

    /**
     * Converges the running config to the file (frr-reload.py --reload, which sends only the difference), after
     * checking it; one writer at a time.
     *
     * @throws FrrException with FRR's words when the file is refused or the reload fails
     */
    public void apply(Path file) {
        List<String> problems = check(file);
        if (!problems.isEmpty()) throw new FrrException(file + " is not a valid FRR config:\n" + String.join("\n", problems));
        writing(() -> {
            Result r = run(reload("--reload", file));
            if (r.code() != 0) throw new FrrException("frr-reload.py --reload " + file + " exited " + r.code() + ": " + r.output().strip());
            return null;
        });
    }

    /** What applying the file would change (frr-reload.py --test): the lines to delete and to add; empty when none. */
    public List<String> diff(Path file) {
        Result r = run(reload("--test", file));
        if (r.code() != 0) throw new FrrException("frr-reload.py --test " + file + " exited " + r.code() + ": " + r.output().strip());
        List<String> changes = new ArrayList<>();
        String section = null;
        for (String line : r.output().lines().toList()) {
            if (line.startsWith("Lines To Delete")) section = "- ";
            else if (line.startsWith("Lines To Add")) section = "+ ";
            else if (section != null && !line.isBlank() && !line.startsWith("====")) changes.add(section + line);
        }
        return changes;
    }

    private List<String> vtysh(String... args) {
        List<String> command = new ArrayList<>(List.of(VTYSH.toString()));
        socketDir.ifPresent(d -> command.addAll(List.of("--vty_socket", d.toString())));
        command.addAll(List.of("-H", "/dev/null"));
        command.addAll(List.of(args));
        return command;
    }

    private List<String> reload(String mode, Path file) {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", RELOAD.toString(), mode, "--stdout",
                "--log-level", "warning"));
        socketDir.ifPresent(d -> command.addAll(List.of("--vty_socket", d.toString(), "--rundir", d.toString())));
        command.add(file.toString());
        return command;
    }

    private <T> T writing(java.util.function.Supplier<T> write) {
        WRITER.lock();
        Path lockFile = socketDir.orElse(Path.of("/run/frr")).resolve("vgw-vtysh.lock");
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            return write.get();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take the FRR writer lock " + lockFile, e);
        } finally {
            WRITER.unlock();
        }
    }

    /** FRR's error lines: those vtysh prints for a refused line, else its whole output. */
    private static List<String> problems(String output, int code) {
        List<String> lines = output.lines().filter(l -> !l.isBlank())
                .filter(l -> !l.contains("Can't open configuration file")).toList();
        return lines.isEmpty() ? List.of("vtysh exited " + code) : lines;
    }

    /**
     * Runs a command to its end, bounded in time ({@link #TIMEOUT_SECONDS}) and in what is read back
     * ({@link #MAX_OUTPUT}): the output goes to a temporary file, so a command that hangs is killed, not waited on.
     */
    static Result run(List<String> command) {
        return run(command, null);
    }

    /** As {@link #run(List)}, with {@code input} on the command's standard input (null: none, /dev/null). */
    static Result run(List<String> command, String input) {
        Path output = null;
        try {
            output = Files.createTempFile("vgw-cmd", ".out");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(input == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
                            : ProcessBuilder.Redirect.PIPE).start();
            if (input != null) {
                try (var in = p.getOutputStream()) { // output goes to a file: the command never blocks us writing
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new FrrException(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            byte[] out;
            try (var in = Files.newInputStream(output)) {
                out = in.readNBytes(MAX_OUTPUT);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new FrrException("cannot run " + command.getFirst() + " (is FRR installed? apt-get install frr): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FrrException("interrupted while running " + command.getFirst());
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temporary file left in /tmp: nothing to act on
                }
            }
        }
    }

    static boolean installed() {
        return Files.isExecutable(VTYSH) && Files.exists(RELOAD);
    }
}
