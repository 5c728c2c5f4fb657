package io.vgw.frr;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A thread that lives in a named network namespace (setns applies to the calling thread only, and processes it
 * starts inherit it): the tests create TAP devices there, as the gateway does in its own namespace.
 */
@SuppressWarnings("restricted")
final class InNamespace implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS = LINKER.downcallHandle(LINKER.defaultLookup().find("setns").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final ExecutorService thread = Executors.newSingleThreadExecutor();

    InNamespace(String namespace) throws Exception {
        call(() -> {
            try (Arena arena = Arena.ofConfined()) {
                int fd = (int) OPEN.invokeExact(arena.allocateFrom("/var/run/netns/" + namespace), 0);
                if (fd < 0) throw new IllegalStateException("no namespace " + namespace);
                int rc = (int) SETNS.invokeExact(fd, CLONE_NEWNET);
                int ignored = (int) CLOSE.invokeExact(fd);
                if (rc != 0) throw new IllegalStateException("setns " + namespace + " failed");
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            return null;
        });
    }

    <T> T call(Callable<T> task) throws Exception {
        Future<T> f = thread.submit(task);
        return f.get();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
