package io.vgw.lab;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces: commands run in them ({@code ip netns exec}), and Java code run in them. A thread that has
 * entered a namespace with setns(2) creates its sockets there, so lab tests are real clients in the client
 * namespace without a process per request.
 */
@SuppressWarnings("restricted") // libc calls through FFM: the launcher enables native access
public final class Netns {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS = LINKER.downcallHandle(LINKER.defaultLookup().find("setns").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private Netns() {}

    /** Output of a command that succeeded. */
    public record Result(int code, String output) {}

    /** Runs a command and returns its output; fails with the command and its output when it exits non-zero. */
    public static String run(String... command) {
        Result r = tryRun(command);
        if (r.code != 0) {
            throw new LabException("`" + String.join(" ", command) + "` failed (exit " + r.code + "): " + r.output.strip());
        }
        return r.output;
    }

    /** {@link #run(String...)} for a command line built as a list. */
    public static String run(List<String> command) {
        return run(command.toArray(String[]::new));
    }

    /** Runs a command; the caller judges the exit code. */
    public static Result tryRun(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new LabException("`" + String.join(" ", command) + "` did not finish in 60 s");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new LabException("cannot run " + command[0] + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted running " + command[0]);
        }
    }

    /** Runs a command inside a namespace. */
    public static String exec(String namespace, String... command) {
        return run(inside(namespace, List.of(command)));
    }

    /** The command line that runs {@code command} inside a namespace: the one place that knows how. */
    static List<String> inside(String namespace, List<String> command) {
        return concat(List.of("ip", "netns", "exec", namespace), command.toArray(String[]::new));
    }

    /** A command line: its fixed start, then its arguments. */
    static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    public static List<String> list() {
        List<String> names = new ArrayList<>();
        for (String line : tryRun("ip", "netns", "list").output().split("\n")) {
            if (!line.isBlank()) names.add(line.split(" ")[0]);
        }
        return names;
    }

    /**
     * Runs {@code work} on a new platform thread that has entered {@code namespace}: sockets it opens live there.
     * Blocks until it is done.
     */
    public static <T> T call(String namespace, Callable<T> work) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            enter(namespace);
            return work.call();
        });
        Thread thread = Thread.ofPlatform().name("netns-" + namespace).start(task);
        try {
            return task.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } finally {
            thread.join();
        }
    }

    /** Moves the calling platform thread into a namespace for good (use a thread of its own). */
    public static void enter(String namespace) {
        if (Thread.currentThread().isVirtual()) throw new IllegalStateException("setns needs a platform thread");
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom("/var/run/netns/" + namespace), 0);
            if (fd < 0) throw new LabException("no network namespace " + namespace);
            int rc = (int) SETNS.invokeExact(fd, CLONE_NEWNET);
            int ignored = (int) CLOSE.invokeExact(fd);
            if (rc != 0) throw new LabException("setns into " + namespace + " failed (root needed)");
        } catch (LabException e) {
            throw e;
        } catch (Throwable t) {
            throw new LabException("setns into " + namespace + ": " + t);
        }
    }
}
