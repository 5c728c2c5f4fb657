package io.vgw.gateway.dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

/**
 * The DPDK Environment Abstraction Layer of this process: initialized exactly once
 * ({@code rte_eal_init} cannot run twice in a process), then shared by everything in the JVM.
 *
 * <p>Threads: {@code rte_eal_init} makes the calling thread the main lcore. Every other Java thread
 * that touches DPDK — above all each data-plane worker — must call {@link #registerThread()} first:
 * an unregistered thread has lcore id {@code LCORE_ID_ANY}, bypasses the mempool's per-lcore cache and
 * forwards at about half the rate. Do it on platform threads only (a virtual thread moves between
 * carriers, and an lcore id is a property of the carrier).
 */
public final class Eal {

    private static final long CPU_SET_BYTES = 128; // sizeof(cpu_set_t), 1024 CPUs

    private static final ThreadLocal<Boolean> REGISTERED_HERE = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private static Eal instance;
    private static RuntimeException failure;

    private final EalConfig config;
    private final List<String> args;

    private Eal(EalConfig config, List<String> args) {
        this.config = config;
        this.args = args;
    }

    /**
     * Runs {@code rte_eal_init} with {@code config.toArgs()}. The calling thread becomes the main
     * lcore (its CPU pinning is undone unless {@link EalConfig#pinInitThread()}).
     *
     * @throws IllegalStateException if the EAL was already initialized, or an earlier attempt failed
     *                               (DPDK does not support a second {@code rte_eal_init})
     * @throws DpdkException         if {@code rte_eal_init} fails; the message carries rte_strerror
     */
    public static synchronized Eal init(EalConfig config) {
        if (instance != null) {
            throw new IllegalStateException("the EAL is initialized once per process; it already runs with "
                    + instance.args);
        }
        if (failure != null) {
            throw new IllegalStateException("rte_eal_init already failed in this process; it cannot be retried",
                    failure);
        }
        List<String> args = config.toArgs();
        try {
            // Global arena: the EAL may keep pointers into argv for the life of the process.
            Arena arena = Arena.global();
            MemorySegment argv = arena.allocate(ADDRESS, args.size() + 1L);
            for (int i = 0; i < args.size(); i++) {
                argv.setAtIndex(ADDRESS, i, arena.allocateFrom(args.get(i)));
            }
            argv.setAtIndex(ADDRESS, args.size(), MemorySegment.NULL);

            MemorySegment affinity = Arena.global().allocate(CPU_SET_BYTES);
            boolean haveAffinity = (int) Shim.SCHED_GETAFFINITY.invokeExact(0, CPU_SET_BYTES, affinity) == 0;

            int rc = (int) Shim.EAL_INIT.invokeExact(args.size(), argv);
            if (rc < 0) {
                throw DpdkException.fromRteErrno("rte_eal_init " + args);
            }
            if (!config.pinInitThread() && haveAffinity) {
                int ignored = (int) Shim.SCHED_SETAFFINITY.invokeExact(0, CPU_SET_BYTES, affinity);
            }
            instance = new Eal(config, args);
            return instance;
        } catch (RuntimeException | Error e) {
            failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            throw e;
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** The EAL of this process, if {@link #init} succeeded. */
    public static synchronized Optional<Eal> current() {
        return Optional.ofNullable(instance);
    }

    /** The configuration it was started with. */
    public EalConfig config() {
        return config;
    }

    /** The exact {@code rte_eal_init} argument vector, {@code argv[0]} included. */
    public List<String> args() {
        return args;
    }

    /**
     * Makes the calling thread a DPDK (non-EAL) lcore with {@code rte_thread_register}: it gets an
     * lcore id and with it the mempool caches. Idempotent: a thread that already has an lcore id (the
     * main lcore, or a registered thread) just gets it back. Call {@link #unregisterThread()} before
     * the thread ends, or the lcore id stays taken ({@code RTE_MAX_LCORE} in all).
     *
     * @return the lcore id
     * @throws IllegalStateException on a virtual thread (its carrier, and with it the lcore, changes)
     * @throws DpdkException         if DPDK refuses (EAL not initialized, no free lcore id, multi-process use)
     */
    public static int registerThread() {
        if (Thread.currentThread().isVirtual()) {
            // The lcore id lives in the carrier's thread-local storage: a virtual thread that moves
            // would share one lcore's mempool cache with another thread, which is a data race.
            throw new IllegalStateException("DPDK lcores must be platform threads, not " + Thread.currentThread());
        }
        int id = lcoreId();
        if (id >= 0) {
            return id;
        }
        int rc;
        try {
            rc = (int) Shim.THREAD_REGISTER.invokeExact();
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        if (rc < 0) {
            throw DpdkException.fromRteErrno("rte_thread_register");
        }
        REGISTERED_HERE.set(Boolean.TRUE);
        return lcoreId();
    }

    /**
     * Releases the lcore id taken by {@link #registerThread()} on this thread
     * ({@code rte_thread_unregister}); does nothing on a thread that did not register through it.
     */
    public static void unregisterThread() {
        if (!REGISTERED_HERE.get()) {
            return;
        }
        try {
            Shim.THREAD_UNREGISTER.invokeExact();
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        REGISTERED_HERE.remove();
    }

    /** {@code rte_lcore_id()} of the calling thread, or -1 ({@code LCORE_ID_ANY}) if it has none. */
    public static int lcoreId() {
        int id;
        try {
            id = (int) Shim.LCORE_ID.invokeExact();
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        return id == Layout.LCORE_ID_ANY ? -1 : id;
    }

    /** {@code RTE_MAX_LCORE}: lcore ids are below it. */
    public static int maxLcores() {
        return Layout.MAX_LCORE;
    }

    @Override
    public String toString() {
        return "Eal" + args;
    }
}
