package io.vgw.gateway.dpdk;

/**
 * DPDK struct sizes, field offsets and macro values, read once from {@code vgw_layout(key)} in the
 * shim so that Java never hard-codes a layout of DPDK 22.11 (or of the next one).
 *
 * <p>The keys are the {@code enum vgw_layout_key} values in {@code src/main/c/vgw_shim.c}; the two
 * lists must stay in step, and {@link #KEY_COUNT} is checked against the shim when this class loads.
 * The field widths Java assumes (for example that {@code data_off} is a {@code uint16_t}) are
 * {@code _Static_assert}ed in the shim, so a DPDK that changes them fails the build.
 */
final class Layout {

    /** Number of keys this class knows: {@code VGW_LAYOUT_KEYS} in the shim. */
    static final int KEY_COUNT = 47;

    static {
        Shim.ensureLoaded();
        long shimKeys = get(0);
        if (shimKeys != KEY_COUNT) {
            throw new ExceptionInInitializerError("libvgwshim.so has " + shimKeys
                    + " layout keys, io.vgw.gateway.dpdk.Layout expects " + KEY_COUNT
                    + ": the shim and the Java bindings come from different builds");
        }
    }

    // struct rte_mbuf (rte_mbuf_core.h); see Mbuf for the accessors
    static final long MBUF_SIZEOF = get(1);           // sizeof(struct rte_mbuf)
    static final long MBUF_BUF_ADDR = get(2);         // void *buf_addr
    static final long MBUF_DATA_OFF = get(3);         // uint16_t data_off
    static final long MBUF_DATA_LEN = get(4);         // uint16_t data_len
    static final long MBUF_PKT_LEN = get(5);          // uint32_t pkt_len
    static final long MBUF_NB_SEGS = get(6);          // uint16_t nb_segs
    static final long MBUF_NEXT = get(7);             // struct rte_mbuf *next
    static final long MBUF_PORT = get(8);             // uint16_t port
    static final long MBUF_OL_FLAGS = get(9);         // uint64_t ol_flags
    static final long MBUF_PACKET_TYPE = get(10);     // uint32_t packet_type
    static final long MBUF_HASH_RSS = get(11);        // uint32_t hash.rss
    static final long MBUF_BUF_LEN = get(12);         // uint16_t buf_len
    static final int PKTMBUF_HEADROOM = (int) get(13);        // RTE_PKTMBUF_HEADROOM
    static final int MBUF_DEFAULT_BUF_SIZE = (int) get(14);   // RTE_MBUF_DEFAULT_BUF_SIZE

    // struct rte_eth_conf (rte_ethdev.h)
    static final long ETH_CONF_SIZEOF = get(15);      // sizeof(struct rte_eth_conf)
    static final long ETH_CONF_RX_MQ_MODE = get(16);  // enum rte_eth_rx_mq_mode rxmode.mq_mode
    static final long ETH_CONF_RX_MTU = get(17);      // uint32_t rxmode.mtu
    static final long ETH_CONF_RSS_KEY = get(18);     // uint8_t *rx_adv_conf.rss_conf.rss_key
    static final long ETH_CONF_RSS_KEY_LEN = get(19); // uint8_t rx_adv_conf.rss_conf.rss_key_len
    static final long ETH_CONF_RSS_HF = get(20);      // uint64_t rx_adv_conf.rss_conf.rss_hf

    // struct rte_eth_dev_info (rte_ethdev.h)
    static final long DEV_INFO_SIZEOF = get(21);          // sizeof(struct rte_eth_dev_info)
    static final long DEV_INFO_DRIVER_NAME = get(22);     // const char *driver_name
    static final long DEV_INFO_MIN_MTU = get(23);         // uint16_t min_mtu
    static final long DEV_INFO_MAX_MTU = get(24);         // uint16_t max_mtu
    static final long DEV_INFO_MAX_RX_QUEUES = get(25);   // uint16_t max_rx_queues
    static final long DEV_INFO_MAX_TX_QUEUES = get(26);   // uint16_t max_tx_queues
    static final long DEV_INFO_RSS_OFFLOADS = get(27);    // uint64_t flow_type_rss_offloads

    // enum rte_eth_rx_mq_mode and RTE_ETH_RSS_* (rte_ethdev.h)
    static final int ETH_MQ_RX_NONE = (int) get(28);  // RTE_ETH_MQ_RX_NONE
    static final int ETH_MQ_RX_RSS = (int) get(29);   // RTE_ETH_MQ_RX_RSS
    static final long ETH_RSS_IP = get(30);           // RTE_ETH_RSS_IP
    static final long ETH_RSS_TCP = get(31);          // RTE_ETH_RSS_TCP
    static final long ETH_RSS_UDP = get(32);          // RTE_ETH_RSS_UDP

    // struct rte_eth_stats (rte_ethdev.h), all uint64_t
    static final long ETH_STATS_SIZEOF = get(33);     // sizeof(struct rte_eth_stats)
    static final long ETH_STATS_IPACKETS = get(34);   // ipackets
    static final long ETH_STATS_OPACKETS = get(35);   // opackets
    static final long ETH_STATS_IBYTES = get(36);     // ibytes
    static final long ETH_STATS_OBYTES = get(37);     // obytes
    static final long ETH_STATS_IMISSED = get(38);    // imissed
    static final long ETH_STATS_IERRORS = get(39);    // ierrors
    static final long ETH_STATS_OERRORS = get(40);    // oerrors
    static final long ETH_STATS_RX_NOMBUF = get(41);  // rx_nombuf

    // misc macros
    static final int ETHER_ADDR_LEN = (int) get(42);  // RTE_ETHER_ADDR_LEN
    static final int SOCKET_ID_ANY = (int) get(43);   // SOCKET_ID_ANY
    static final int MAX_LCORE = (int) get(44);       // RTE_MAX_LCORE
    static final int LCORE_ID_ANY = (int) get(45);    // LCORE_ID_ANY (UINT32_MAX, so -1 here)
    static final int MAX_ETHPORTS = (int) get(46);    // RTE_MAX_ETHPORTS

    private Layout() {
    }

    private static long get(int key) {
        long value;
        try {
            value = (long) Shim.LAYOUT.invokeExact(key);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        if (value == Long.MIN_VALUE) {
            throw new ExceptionInInitializerError("libvgwshim.so does not know layout key " + key);
        }
        return value;
    }
}
