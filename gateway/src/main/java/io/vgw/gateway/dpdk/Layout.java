package io.vgw.gateway.dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * DPDK struct sizes, field offsets and macro values, read once from the shim's one table of names and values
 * ({@code vgw_layout_table} in {@code src/main/c/vgw_shim.c}) so that Java never hard-codes a layout of DPDK 22.11
 * (or of the next one). A name missing from the shim fails here, at class load. The field widths Java assumes (for
 * example that {@code data_off} is a {@code uint16_t}) are {@code _Static_assert}ed in the shim, so a DPDK that
 * changes them fails the build.
 */
final class Layout {

    /** The shim's table: name → value. */
    private static final Map<String, Long> VALUES = read();

    // struct rte_mbuf (rte_mbuf_core.h); see Mbuf for the accessors
    static final long MBUF_SIZEOF = get("mbuf.sizeof");
    static final long MBUF_BUF_ADDR = get("mbuf.buf_addr");       // void *buf_addr
    static final long MBUF_DATA_OFF = get("mbuf.data_off");       // uint16_t data_off
    static final long MBUF_DATA_LEN = get("mbuf.data_len");       // uint16_t data_len
    static final long MBUF_PKT_LEN = get("mbuf.pkt_len");         // uint32_t pkt_len
    static final long MBUF_NB_SEGS = get("mbuf.nb_segs");         // uint16_t nb_segs
    static final long MBUF_BUF_LEN = get("mbuf.buf_len");         // uint16_t buf_len
    static final int PKTMBUF_HEADROOM = (int) get("RTE_PKTMBUF_HEADROOM");
    static final int MBUF_DEFAULT_BUF_SIZE = (int) get("RTE_MBUF_DEFAULT_BUF_SIZE");

    // struct rte_eth_conf (rte_ethdev.h)
    static final long ETH_CONF_SIZEOF = get("eth_conf.sizeof");
    static final long ETH_CONF_RX_MQ_MODE = get("eth_conf.rxmode.mq_mode");        // enum rte_eth_rx_mq_mode
    static final long ETH_CONF_RX_MTU = get("eth_conf.rxmode.mtu");                // uint32_t
    static final long ETH_CONF_RSS_KEY = get("eth_conf.rss_conf.rss_key");         // uint8_t *
    static final long ETH_CONF_RSS_KEY_LEN = get("eth_conf.rss_conf.rss_key_len"); // uint8_t
    static final long ETH_CONF_RSS_HF = get("eth_conf.rss_conf.rss_hf");           // uint64_t

    // struct rte_eth_dev_info (rte_ethdev.h)
    static final long DEV_INFO_SIZEOF = get("eth_dev_info.sizeof");
    static final long DEV_INFO_DRIVER_NAME = get("eth_dev_info.driver_name");                 // const char *
    static final long DEV_INFO_MIN_MTU = get("eth_dev_info.min_mtu");                         // uint16_t
    static final long DEV_INFO_MAX_MTU = get("eth_dev_info.max_mtu");                         // uint16_t
    static final long DEV_INFO_MAX_RX_QUEUES = get("eth_dev_info.max_rx_queues");             // uint16_t
    static final long DEV_INFO_MAX_TX_QUEUES = get("eth_dev_info.max_tx_queues");             // uint16_t
    static final long DEV_INFO_RSS_OFFLOADS = get("eth_dev_info.flow_type_rss_offloads");     // uint64_t

    // enum rte_eth_rx_mq_mode and RTE_ETH_RSS_* (rte_ethdev.h)
    static final int ETH_MQ_RX_NONE = (int) get("RTE_ETH_MQ_RX_NONE");
    static final int ETH_MQ_RX_RSS = (int) get("RTE_ETH_MQ_RX_RSS");
    static final long ETH_RSS_IP = get("RTE_ETH_RSS_IP");
    static final long ETH_RSS_TCP = get("RTE_ETH_RSS_TCP");
    static final long ETH_RSS_UDP = get("RTE_ETH_RSS_UDP");

    // struct rte_eth_stats (rte_ethdev.h), all uint64_t
    static final long ETH_STATS_SIZEOF = get("eth_stats.sizeof");
    static final long ETH_STATS_IPACKETS = get("eth_stats.ipackets");
    static final long ETH_STATS_OPACKETS = get("eth_stats.opackets");
    static final long ETH_STATS_IBYTES = get("eth_stats.ibytes");
    static final long ETH_STATS_OBYTES = get("eth_stats.obytes");
    static final long ETH_STATS_IMISSED = get("eth_stats.imissed");
    static final long ETH_STATS_IERRORS = get("eth_stats.ierrors");
    static final long ETH_STATS_OERRORS = get("eth_stats.oerrors");
    static final long ETH_STATS_RX_NOMBUF = get("eth_stats.rx_nombuf");

    // misc macros
    static final int ETHER_ADDR_LEN = (int) get("RTE_ETHER_ADDR_LEN");
    static final int SOCKET_ID_ANY = (int) get("SOCKET_ID_ANY");
    static final int MAX_LCORE = (int) get("RTE_MAX_LCORE");
    static final int LCORE_ID_ANY = (int) get("LCORE_ID_ANY");    // UINT32_MAX, so -1 here
    static final int MAX_ETHPORTS = (int) get("RTE_MAX_ETHPORTS");

    private Layout() {
    }

    /** {@code struct vgw_layout_entry { const char *name; int64_t value; }}, an array of them. */
    @SuppressWarnings("restricted") // reinterpret of the shim's static table and its C strings
    private static Map<String, Long> read() {
        Map<String, Long> values = new HashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            MemorySegment table = (MemorySegment) Shim.LAYOUT_TABLE.invokeExact(count);
            long entry = ADDRESS.byteSize() + JAVA_LONG.byteSize();
            MemorySegment entries = table.reinterpret(entry * count.get(JAVA_INT, 0));
            for (long at = 0; at < entries.byteSize(); at += entry) {
                String name = entries.get(ADDRESS, at).reinterpret(256).getString(0);
                values.put(name, entries.get(JAVA_LONG, at + ADDRESS.byteSize()));
            }
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        return values;
    }

    private static long get(String name) {
        Long value = VALUES.get(name);
        if (value == null) {
            throw new ExceptionInInitializerError("libvgwshim.so has no layout value '" + name
                    + "': the shim and the Java bindings come from different builds");
        }
        return value;
    }
}
