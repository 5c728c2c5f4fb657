package io.vgw.gateway.dpdk;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One EAL per test JVM, shared by every DPDK test (surefire runs the test classes in one JVM):
 * {@code rte_eal_init} cannot run twice in a process, so tests hot-plug their own vdevs with
 * {@link Port#attach} and remove them with {@link Port#close()}.
 *
 * <p>Needs root. Hugepages are optional: {@code -Dvgw.test.hugeDir=/dev/hugepages} (or the environment
 * variable {@code VGW_TEST_HUGEDIR}) names a mounted hugetlbfs; without it the EAL runs with
 * {@code --no-huge -m 512}.
 */
public final class DpdkTestSupport {

    public static final String HUGE_DIR_PROPERTY = "vgw.test.hugeDir";
    public static final String HUGE_DIR_ENV = "VGW_TEST_HUGEDIR";

    private static final AtomicInteger NAMES = new AtomicInteger();
    private static Eal eal;
    private static Mempool pool;

    private DpdkTestSupport() {
    }

    /** The shared EAL, initialized on first use by the calling thread (which becomes lcore 0). */
    public static synchronized Eal eal() {
        if (eal != null) {
            return eal;
        }
        requireRoot();
        EalConfig.Builder config = EalConfig.builder().lcores("0").memoryMb(512).logLevel("notice");
        String hugeDir = System.getProperty(HUGE_DIR_PROPERTY, System.getenv(HUGE_DIR_ENV));
        if (hugeDir != null && !hugeDir.isBlank()) {
            config.hugeDir(Path.of(hugeDir));
        }
        eal = Eal.current().orElseGet(() -> Eal.init(config.build()));
        return eal;
    }

    /** A pool shared by the tests: 8191 mbufs of the default size. */
    public static synchronized Mempool pool() {
        eal();
        if (pool == null) {
            pool = Mempool.create("vgw_test_pool", 8191, Mempool.DEFAULT_CACHE_SIZE, Mempool.DEFAULT_DATA_ROOM);
        }
        return pool;
    }

    /** A device name no other test uses, e.g. {@code net_pcap_t3}. */
    public static String uniqueName(String driver) {
        return driver + "_t" + NAMES.incrementAndGet();
    }

    public static void requireRoot() {
        Object uid;
        try {
            uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            uid = "unknown (" + e + ")";
        }
        if (!Integer.valueOf(0).equals(uid)) {
            fail("this test needs root: it starts the DPDK EAL in the test JVM (rte_eal_init maps memory and "
                    + "probes devices); run the build as root, as CI does. Current uid: " + uid);
        }
    }
}
