package io.vgw.gateway.dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Loads the native shim ({@code libvgwshim.so}, built from {@code src/main/c/vgw_shim.c}) and holds
 * every downcall handle of the package.
 *
 * <p>Loading: the system property {@value #PATH_PROPERTY} names a {@code .so} to load; without it the
 * copy bundled as the classpath resource {@value #RESOURCE} is extracted to a private temporary file
 * (mode 0600, deleted right after {@code dlopen}) and loaded. The shim is linked against
 * {@code librte_eal}, {@code librte_mempool}, {@code librte_mbuf} and {@code librte_ethdev}, so after
 * {@link System#load} {@link SymbolLookup#loaderLookup()} finds the exported {@code rte_*} functions
 * too; only static-inline DPDK calls, thread-locals, bitfields and layouts go through {@code vgw_*}.
 *
 * <p>Conventions of the descriptors: {@code uint16_t} is {@code JAVA_SHORT} (callers mask results
 * with {@code & 0xffff}); pointers of the control plane are {@code ADDRESS} (a {@link MemorySegment}
 * keeps its arena alive during the call); pointers of the per-burst calls are {@code JAVA_LONG} raw
 * addresses (same register class in the SysV ABI) so the hot path builds no segment, and those calls
 * use {@link Linker.Option#critical(boolean) critical(false)}: they neither block nor call back.
 */
@SuppressWarnings("restricted") // the point of this class: System.load, downcall handles, reinterpret
final class Shim {

    static final String PATH_PROPERTY = "vgw.shim";
    static final String RESOURCE = "/native/libvgwshim.so";

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP;

    static {
        load();
        LOOKUP = SymbolLookup.loaderLookup();
    }

    // ---- vgw_shim.c: static-inline DPDK calls, hot path -------------------------------------

    /** {@code uint16_t vgw_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)} */
    static final MethodHandle RX_BURST = critical("vgw_rx_burst",
            FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_LONG, JAVA_SHORT));
    /** {@code uint16_t vgw_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)} */
    static final MethodHandle TX_BURST = critical("vgw_tx_burst",
            FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_LONG, JAVA_SHORT));
    /** {@code void rte_pktmbuf_free_bulk(struct rte_mbuf **mbufs, unsigned int count)} (exported) */
    static final MethodHandle FREE_BULK = critical("rte_pktmbuf_free_bulk",
            FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_INT));
    /** {@code struct rte_mbuf *vgw_pktmbuf_alloc(struct rte_mempool *pool)}, NULL when empty */
    static final MethodHandle PKTMBUF_ALLOC = critical("vgw_pktmbuf_alloc",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    /** {@code uint32_t vgw_lcore_id(void)}: rte_lcore_id(), LCORE_ID_ANY on an unregistered thread */
    static final MethodHandle LCORE_ID = critical("vgw_lcore_id", FunctionDescriptor.of(JAVA_INT));

    // ---- vgw_shim.c: thread-locals, bitfields, layout ---------------------------------------

    /** {@code int vgw_errno(void)}: the calling thread's rte_errno */
    static final MethodHandle ERRNO = downcall("vgw_errno", FunctionDescriptor.of(JAVA_INT));
    /** {@code int64_t vgw_link_get_nowait(uint16_t port)}: packed struct rte_eth_link or -errno */
    static final MethodHandle LINK_GET_NOWAIT = downcall("vgw_link_get_nowait",
            FunctionDescriptor.of(JAVA_LONG, JAVA_SHORT));
    /** {@code const struct vgw_layout_entry *vgw_layout_table(int *count)}: the layout names and values */
    static final MethodHandle LAYOUT_TABLE = downcall("vgw_layout_table", FunctionDescriptor.of(ADDRESS, ADDRESS));

    // ---- EAL --------------------------------------------------------------------------------

    /** {@code int rte_eal_init(int argc, char **argv)} */
    static final MethodHandle EAL_INIT = downcall("rte_eal_init",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    /** {@code const char *rte_strerror(int errnum)} */
    static final MethodHandle STRERROR = downcall("rte_strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    /** {@code int rte_thread_register(void)} */
    static final MethodHandle THREAD_REGISTER = downcall("rte_thread_register", FunctionDescriptor.of(JAVA_INT));
    /** {@code void rte_thread_unregister(void)} */
    static final MethodHandle THREAD_UNREGISTER = downcall("rte_thread_unregister", FunctionDescriptor.ofVoid());
    /** {@code int rte_dev_probe(const char *devargs)} */
    static final MethodHandle DEV_PROBE = downcall("rte_dev_probe", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    /** {@code int rte_eal_hotplug_remove(const char *busname, const char *devname)} */
    static final MethodHandle HOTPLUG_REMOVE = downcall("rte_eal_hotplug_remove",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    // ---- mempool ----------------------------------------------------------------------------

    /**
     * {@code struct rte_mempool *rte_pktmbuf_pool_create(const char *name, unsigned n,
     * unsigned cache_size, uint16_t priv_size, uint16_t data_room_size, int socket_id)}
     */
    static final MethodHandle PKTMBUF_POOL_CREATE = downcall("rte_pktmbuf_pool_create",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_INT));
    /** {@code void rte_mempool_free(struct rte_mempool *mp)} */
    static final MethodHandle MEMPOOL_FREE = downcall("rte_mempool_free", FunctionDescriptor.ofVoid(ADDRESS));
    /** {@code unsigned int rte_mempool_avail_count(const struct rte_mempool *mp)} */
    static final MethodHandle MEMPOOL_AVAIL_COUNT = downcall("rte_mempool_avail_count",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    /** {@code unsigned int rte_mempool_in_use_count(const struct rte_mempool *mp)} */
    static final MethodHandle MEMPOOL_IN_USE_COUNT = downcall("rte_mempool_in_use_count",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    // ---- ethdev -----------------------------------------------------------------------------

    /** {@code int rte_eth_dev_get_port_by_name(const char *name, uint16_t *port_id)} */
    static final MethodHandle ETH_GET_PORT_BY_NAME = downcall("rte_eth_dev_get_port_by_name",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    /** {@code int rte_eth_dev_info_get(uint16_t port_id, struct rte_eth_dev_info *dev_info)} */
    static final MethodHandle ETH_DEV_INFO_GET = downcall("rte_eth_dev_info_get",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    /** {@code int rte_eth_dev_socket_id(uint16_t port_id)} */
    static final MethodHandle ETH_DEV_SOCKET_ID = downcall("rte_eth_dev_socket_id",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    /**
     * {@code int rte_eth_dev_configure(uint16_t port_id, uint16_t nb_rx_queue, uint16_t nb_tx_queue,
     * const struct rte_eth_conf *eth_conf)}
     */
    static final MethodHandle ETH_DEV_CONFIGURE = downcall("rte_eth_dev_configure",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS));
    /**
     * {@code int rte_eth_rx_queue_setup(uint16_t port_id, uint16_t rx_queue_id, uint16_t nb_rx_desc,
     * unsigned int socket_id, const struct rte_eth_rxconf *rx_conf, struct rte_mempool *mb_pool)}
     */
    static final MethodHandle ETH_RX_QUEUE_SETUP = downcall("rte_eth_rx_queue_setup",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_INT, ADDRESS, ADDRESS));
    /**
     * {@code int rte_eth_tx_queue_setup(uint16_t port_id, uint16_t tx_queue_id, uint16_t nb_tx_desc,
     * unsigned int socket_id, const struct rte_eth_txconf *tx_conf)}
     */
    static final MethodHandle ETH_TX_QUEUE_SETUP = downcall("rte_eth_tx_queue_setup",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_INT, ADDRESS));
    /** {@code int rte_eth_dev_start(uint16_t port_id)} */
    static final MethodHandle ETH_DEV_START = downcall("rte_eth_dev_start", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    /** {@code int rte_eth_dev_stop(uint16_t port_id)} */
    static final MethodHandle ETH_DEV_STOP = downcall("rte_eth_dev_stop", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    /** {@code int rte_eth_dev_close(uint16_t port_id)}: also releases the port id */
    static final MethodHandle ETH_DEV_CLOSE = downcall("rte_eth_dev_close", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    /** {@code int rte_eth_promiscuous_enable(uint16_t port_id)} */
    static final MethodHandle ETH_PROMISCUOUS_ENABLE = downcall("rte_eth_promiscuous_enable",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    /** {@code int rte_eth_macaddr_get(uint16_t port_id, struct rte_ether_addr *mac_addr)} */
    static final MethodHandle ETH_MACADDR_GET = downcall("rte_eth_macaddr_get",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    /** {@code int rte_eth_dev_get_mtu(uint16_t port_id, uint16_t *mtu)} */
    static final MethodHandle ETH_DEV_GET_MTU = downcall("rte_eth_dev_get_mtu",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    /** {@code int rte_eth_dev_set_mtu(uint16_t port_id, uint16_t mtu)} */
    static final MethodHandle ETH_DEV_SET_MTU = downcall("rte_eth_dev_set_mtu",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT));
    /** {@code int rte_eth_stats_get(uint16_t port_id, struct rte_eth_stats *stats)} */
    static final MethodHandle ETH_STATS_GET = downcall("rte_eth_stats_get",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    /** {@code int rte_eth_stats_reset(uint16_t port_id)} */
    static final MethodHandle ETH_STATS_RESET = downcall("rte_eth_stats_reset",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));

    // ---- the XDP program's maps (AF_XDP ports): vgw_shim.c section 5 and libbpf ---------------

    /** {@code int vgw_xdp_map_fd(int ifindex, const char *name)}: a map of the attached XDP program, or -errno */
    static final MethodHandle XDP_MAP_FD = downcall("vgw_xdp_map_fd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    /** {@code int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)}: 0 or -errno */
    static final MethodHandle BPF_MAP_UPDATE_ELEM = downcall("bpf_map_update_elem",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    /** {@code int bpf_map_delete_elem(int fd, const void *key)}: 0 or -errno */
    static final MethodHandle BPF_MAP_DELETE_ELEM = downcall("bpf_map_delete_elem",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    /** {@code int bpf_map_get_next_key(int fd, const void *key, void *next_key)}: 0, -ENOENT after the last */
    static final MethodHandle BPF_MAP_GET_NEXT_KEY = downcall("bpf_map_get_next_key",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    // ---- libc -------------------------------------------------------------------------------

    /** {@code int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask)} (pid 0: this thread) */
    static final MethodHandle SCHED_GETAFFINITY = libc("sched_getaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    /** {@code int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)} */
    static final MethodHandle SCHED_SETAFFINITY = libc("sched_setaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));

    /** {@code unsigned int if_nametoindex(const char *ifname)}: 0 when there is no such interface */
    static final MethodHandle IF_NAMETOINDEX = libc("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    /** {@code int close(int fd)} */
    static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private Shim() {
    }

    /** Forces the library to load (class initialization); throws {@link UnsatisfiedLinkError}. */
    static void ensureLoaded() {
        // the static initializer did the work
    }

    /** The calling thread's rte_errno. */
    static int errno() {
        try {
            return (int) ERRNO.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** rte_strerror(errnum). */
    static String strerror(int errnum) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errnum);
            return s.equals(MemorySegment.NULL) ? "errno " + errnum : s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Wraps a Throwable from {@code invokeExact} (downcalls throw nothing checked). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(find(LOOKUP, name), descriptor);
    }

    private static MethodHandle critical(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(find(LOOKUP, name), descriptor, Linker.Option.critical(false));
    }

    private static MethodHandle libc(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(find(LINKER.defaultLookup(), name), descriptor);
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new UnsatisfiedLinkError(
                "symbol " + name + " not found in the vgw shim or the DPDK libraries it links"));
    }

    private static void load() {
        String path = System.getProperty(PATH_PROPERTY);
        if (path != null && !path.isBlank()) {
            System.load(Path.of(path).toAbsolutePath().toString());
            return;
        }
        try (InputStream in = Shim.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("classpath resource " + RESOURCE
                        + " is missing (the gateway build compiles it from src/main/c); or set -D"
                        + PATH_PROPERTY + "=/path/to/libvgwshim.so");
            }
            // createTempFile makes the file rw------- on POSIX file systems.
            Path tmp = Files.createTempFile("libvgwshim", ".so");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                System.load(tmp.toAbsolutePath().toString());
            } finally {
                // dlopen keeps the mapping; the name is not needed any more.
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot extract " + RESOURCE + ": " + e);
            error.initCause(e);
            throw error;
        }
    }
}
