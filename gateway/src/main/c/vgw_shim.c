/*
 * vgw_shim.c - the only C in vgw: what Java's FFM API cannot reach by itself.
 *
 * Everything DPDK exports as a real symbol (rte_eal_init, rte_eth_dev_configure,
 * rte_pktmbuf_pool_create, rte_pktmbuf_free_bulk, ...) is called from Java
 * directly through SymbolLookup.loaderLookup(): this library is linked against
 * those DPDK libraries, so loading it makes their symbols visible too.
 *
 * What remains here, and why:
 *   1. static inline functions from the DPDK headers, which have no symbol:
 *      the rx/tx burst calls, mbuf alloc, rte_lcore_id;
 *   2. thread-local state (rte_errno is a __thread variable: FFM cannot read it);
 *   3. bitfields (struct rte_eth_link), which have no byte offset;
 *   4. struct sizes, field offsets and macro constants (vgw_layout), so that
 *      Java never hard-codes a DPDK struct layout. Java reads them once into
 *      static finals (io.vgw.gateway.dpdk.Layout); the keys below must stay in
 *      step with the constants there (VGW_LAYOUT_KEY_COUNT is checked at load).
 *
 * Keep it this small: one downcall per burst, never one per packet.
 * Built by gateway/pom.xml (exec-maven-plugin, compile phase) with
 *   gcc -O2 -shared -fPIC $(pkg-config --cflags libdpdk) ... $(pkg-config --libs libdpdk)
 */
#include <stddef.h>
#include <stdint.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#define VGW_EXPORT __attribute__((visibility("default")))

/* ---- 1. static inline DPDK calls ------------------------------------------ */

/* rte_eth_rx_burst is static inline (it indexes rte_eth_fp_ops). */
VGW_EXPORT uint16_t vgw_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(port, queue, pkts, n);
}

/* rte_eth_tx_burst is static inline. Unsent mbufs stay owned by the caller. */
VGW_EXPORT uint16_t vgw_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(port, queue, pkts, n);
}

/* rte_pktmbuf_alloc is static inline; for packets the gateway originates. */
VGW_EXPORT struct rte_mbuf *vgw_pktmbuf_alloc(struct rte_mempool *pool)
{
	return rte_pktmbuf_alloc(pool);
}

/* rte_lcore_id is static inline (reads the per-thread RTE_PER_LCORE(_lcore_id)). */
VGW_EXPORT uint32_t vgw_lcore_id(void)
{
	return rte_lcore_id();
}

/* ---- 2. thread-local state ------------------------------------------------ */

/* rte_errno is a macro for the __thread variable per_lcore__rte_errno.
 * Call it on the same thread, right after the failing DPDK call. */
VGW_EXPORT int vgw_errno(void)
{
	return rte_errno;
}

/* ---- 3. bitfields --------------------------------------------------------- */

/*
 * struct rte_eth_link packs duplex/autoneg/status into bitfields, which have no
 * offset to read from Java. Returns a negative errno on failure, otherwise
 *   bits 0..31 link_speed (Mbps), bit 32 link_status, bit 33 link_duplex,
 *   bit 34 link_autoneg.
 */
VGW_EXPORT int64_t vgw_link_get_nowait(uint16_t port)
{
	struct rte_eth_link link;
	int rc = rte_eth_link_get_nowait(port, &link);
	if (rc < 0)
		return rc;
	return (int64_t)link.link_speed
		| (int64_t)link.link_status << 32
		| (int64_t)link.link_duplex << 33
		| (int64_t)link.link_autoneg << 34;
}

/* ---- 4. layout: sizes, offsets, constants --------------------------------- */

/*
 * Java reads these fields with fixed value layouts (JAVA_SHORT for a uint16_t,
 * ...): the widths are checked here, at build time, so a DPDK that changes a
 * field's type breaks the build rather than the data plane.
 */
#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)
_Static_assert(FIELD_SIZE(struct rte_mbuf, buf_addr) == 8, "buf_addr: Java reads an address");
_Static_assert(FIELD_SIZE(struct rte_mbuf, data_off) == 2, "data_off: Java reads a short");
_Static_assert(FIELD_SIZE(struct rte_mbuf, buf_len) == 2, "buf_len: Java reads a short");
_Static_assert(FIELD_SIZE(struct rte_mbuf, data_len) == 2, "data_len: Java reads a short");
_Static_assert(FIELD_SIZE(struct rte_mbuf, pkt_len) == 4, "pkt_len: Java reads an int");
_Static_assert(FIELD_SIZE(struct rte_mbuf, nb_segs) == 2, "nb_segs: Java reads a short");
_Static_assert(FIELD_SIZE(struct rte_mbuf, next) == 8, "next: Java reads an address");
_Static_assert(FIELD_SIZE(struct rte_mbuf, port) == 2, "port: Java reads a short");
_Static_assert(FIELD_SIZE(struct rte_mbuf, ol_flags) == 8, "ol_flags: Java reads a long");
_Static_assert(FIELD_SIZE(struct rte_mbuf, packet_type) == 4, "packet_type: Java reads an int");
_Static_assert(FIELD_SIZE(struct rte_mbuf, hash.rss) == 4, "hash.rss: Java reads an int");
_Static_assert(FIELD_SIZE(struct rte_eth_conf, rxmode.mq_mode) == 4, "mq_mode: Java writes an int");
_Static_assert(FIELD_SIZE(struct rte_eth_conf, rxmode.mtu) == 4, "mtu: Java writes an int");
_Static_assert(FIELD_SIZE(struct rte_eth_conf, rx_adv_conf.rss_conf.rss_key) == 8, "rss_key: address");
_Static_assert(FIELD_SIZE(struct rte_eth_conf, rx_adv_conf.rss_conf.rss_key_len) == 1, "rss_key_len: byte");
_Static_assert(FIELD_SIZE(struct rte_eth_conf, rx_adv_conf.rss_conf.rss_hf) == 8, "rss_hf: long");
_Static_assert(FIELD_SIZE(struct rte_eth_dev_info, max_rx_queues) == 2, "max_rx_queues: short");
_Static_assert(FIELD_SIZE(struct rte_eth_dev_info, max_tx_queues) == 2, "max_tx_queues: short");
_Static_assert(FIELD_SIZE(struct rte_eth_dev_info, flow_type_rss_offloads) == 8, "rss offloads: long");
_Static_assert(FIELD_SIZE(struct rte_eth_dev_info, min_mtu) == 2, "min_mtu: short");
_Static_assert(FIELD_SIZE(struct rte_eth_dev_info, max_mtu) == 2, "max_mtu: short");
_Static_assert(FIELD_SIZE(struct rte_eth_dev_info, driver_name) == 8, "driver_name: address");
_Static_assert(FIELD_SIZE(struct rte_eth_stats, ipackets) == 8, "stats counters: long");
_Static_assert(FIELD_SIZE(struct rte_eth_stats, rx_nombuf) == 8, "stats counters: long");
_Static_assert(sizeof(struct rte_ether_addr) == 6, "rte_ether_addr: 6 bytes");

/* Keys: the values are a contract with io.vgw.gateway.dpdk.Layout. Append only. */
enum vgw_layout_key {
	VGW_LAYOUT_KEY_COUNT = 0,         /* number of keys, a version check */

	VGW_MBUF_SIZEOF = 1,              /* sizeof(struct rte_mbuf) */
	VGW_MBUF_BUF_ADDR = 2,            /* offsetof buf_addr */
	VGW_MBUF_DATA_OFF = 3,            /* offsetof data_off */
	VGW_MBUF_DATA_LEN = 4,            /* offsetof data_len */
	VGW_MBUF_PKT_LEN = 5,             /* offsetof pkt_len */
	VGW_MBUF_NB_SEGS = 6,             /* offsetof nb_segs */
	VGW_MBUF_NEXT = 7,                /* offsetof next */
	VGW_MBUF_PORT = 8,                /* offsetof port */
	VGW_MBUF_OL_FLAGS = 9,            /* offsetof ol_flags */
	VGW_MBUF_PACKET_TYPE = 10,        /* offsetof packet_type */
	VGW_MBUF_HASH_RSS = 11,           /* offsetof hash.rss */
	VGW_MBUF_BUF_LEN = 12,            /* offsetof buf_len */
	VGW_PKTMBUF_HEADROOM = 13,        /* RTE_PKTMBUF_HEADROOM */
	VGW_MBUF_DEFAULT_BUF_SIZE = 14,   /* RTE_MBUF_DEFAULT_BUF_SIZE */

	VGW_ETH_CONF_SIZEOF = 15,         /* sizeof(struct rte_eth_conf) */
	VGW_ETH_CONF_RX_MQ_MODE = 16,     /* offsetof rxmode.mq_mode */
	VGW_ETH_CONF_RX_MTU = 17,         /* offsetof rxmode.mtu */
	VGW_ETH_CONF_RSS_KEY = 18,        /* offsetof rx_adv_conf.rss_conf.rss_key */
	VGW_ETH_CONF_RSS_KEY_LEN = 19,    /* offsetof rx_adv_conf.rss_conf.rss_key_len */
	VGW_ETH_CONF_RSS_HF = 20,         /* offsetof rx_adv_conf.rss_conf.rss_hf */

	VGW_DEV_INFO_SIZEOF = 21,         /* sizeof(struct rte_eth_dev_info) */
	VGW_DEV_INFO_DRIVER_NAME = 22,    /* offsetof driver_name */
	VGW_DEV_INFO_MIN_MTU = 23,        /* offsetof min_mtu */
	VGW_DEV_INFO_MAX_MTU = 24,        /* offsetof max_mtu */
	VGW_DEV_INFO_MAX_RX_QUEUES = 25,  /* offsetof max_rx_queues */
	VGW_DEV_INFO_MAX_TX_QUEUES = 26,  /* offsetof max_tx_queues */
	VGW_DEV_INFO_RSS_OFFLOADS = 27,   /* offsetof flow_type_rss_offloads */

	VGW_ETH_MQ_RX_NONE = 28,          /* RTE_ETH_MQ_RX_NONE */
	VGW_ETH_MQ_RX_RSS = 29,           /* RTE_ETH_MQ_RX_RSS */
	VGW_ETH_RSS_IP = 30,              /* RTE_ETH_RSS_IP */
	VGW_ETH_RSS_TCP = 31,             /* RTE_ETH_RSS_TCP */
	VGW_ETH_RSS_UDP = 32,             /* RTE_ETH_RSS_UDP */

	VGW_ETH_STATS_SIZEOF = 33,        /* sizeof(struct rte_eth_stats) */
	VGW_ETH_STATS_IPACKETS = 34,      /* offsetof ipackets */
	VGW_ETH_STATS_OPACKETS = 35,      /* offsetof opackets */
	VGW_ETH_STATS_IBYTES = 36,        /* offsetof ibytes */
	VGW_ETH_STATS_OBYTES = 37,        /* offsetof obytes */
	VGW_ETH_STATS_IMISSED = 38,       /* offsetof imissed */
	VGW_ETH_STATS_IERRORS = 39,       /* offsetof ierrors */
	VGW_ETH_STATS_OERRORS = 40,       /* offsetof oerrors */
	VGW_ETH_STATS_RX_NOMBUF = 41,     /* offsetof rx_nombuf */

	VGW_ETHER_ADDR_LEN = 42,          /* RTE_ETHER_ADDR_LEN */
	VGW_SOCKET_ID_ANY = 43,           /* SOCKET_ID_ANY */
	VGW_MAX_LCORE = 44,               /* RTE_MAX_LCORE */
	VGW_LCORE_ID_ANY = 45,            /* LCORE_ID_ANY */
	VGW_MAX_ETHPORTS = 46,            /* RTE_MAX_ETHPORTS */

	VGW_LAYOUT_KEYS                   /* keep last */
};

/* Returns the size, offset or constant for a key, or INT64_MIN for an unknown key. */
VGW_EXPORT int64_t vgw_layout(int key)
{
	switch ((enum vgw_layout_key)key) {
	case VGW_LAYOUT_KEY_COUNT:        return VGW_LAYOUT_KEYS;

	case VGW_MBUF_SIZEOF:             return sizeof(struct rte_mbuf);
	case VGW_MBUF_BUF_ADDR:           return offsetof(struct rte_mbuf, buf_addr);
	case VGW_MBUF_DATA_OFF:           return offsetof(struct rte_mbuf, data_off);
	case VGW_MBUF_DATA_LEN:           return offsetof(struct rte_mbuf, data_len);
	case VGW_MBUF_PKT_LEN:            return offsetof(struct rte_mbuf, pkt_len);
	case VGW_MBUF_NB_SEGS:            return offsetof(struct rte_mbuf, nb_segs);
	case VGW_MBUF_NEXT:               return offsetof(struct rte_mbuf, next);
	case VGW_MBUF_PORT:               return offsetof(struct rte_mbuf, port);
	case VGW_MBUF_OL_FLAGS:           return offsetof(struct rte_mbuf, ol_flags);
	case VGW_MBUF_PACKET_TYPE:        return offsetof(struct rte_mbuf, packet_type);
	case VGW_MBUF_HASH_RSS:           return offsetof(struct rte_mbuf, hash.rss);
	case VGW_MBUF_BUF_LEN:            return offsetof(struct rte_mbuf, buf_len);
	case VGW_PKTMBUF_HEADROOM:        return RTE_PKTMBUF_HEADROOM;
	case VGW_MBUF_DEFAULT_BUF_SIZE:   return RTE_MBUF_DEFAULT_BUF_SIZE;

	case VGW_ETH_CONF_SIZEOF:         return sizeof(struct rte_eth_conf);
	case VGW_ETH_CONF_RX_MQ_MODE:     return offsetof(struct rte_eth_conf, rxmode.mq_mode);
	case VGW_ETH_CONF_RX_MTU:         return offsetof(struct rte_eth_conf, rxmode.mtu);
	case VGW_ETH_CONF_RSS_KEY:        return offsetof(struct rte_eth_conf, rx_adv_conf.rss_conf.rss_key);
	case VGW_ETH_CONF_RSS_KEY_LEN:    return offsetof(struct rte_eth_conf, rx_adv_conf.rss_conf.rss_key_len);
	case VGW_ETH_CONF_RSS_HF:         return offsetof(struct rte_eth_conf, rx_adv_conf.rss_conf.rss_hf);

	case VGW_DEV_INFO_SIZEOF:         return sizeof(struct rte_eth_dev_info);
	case VGW_DEV_INFO_DRIVER_NAME:    return offsetof(struct rte_eth_dev_info, driver_name);
	case VGW_DEV_INFO_MIN_MTU:        return offsetof(struct rte_eth_dev_info, min_mtu);
	case VGW_DEV_INFO_MAX_MTU:        return offsetof(struct rte_eth_dev_info, max_mtu);
	case VGW_DEV_INFO_MAX_RX_QUEUES:  return offsetof(struct rte_eth_dev_info, max_rx_queues);
	case VGW_DEV_INFO_MAX_TX_QUEUES:  return offsetof(struct rte_eth_dev_info, max_tx_queues);
	case VGW_DEV_INFO_RSS_OFFLOADS:   return offsetof(struct rte_eth_dev_info, flow_type_rss_offloads);

	case VGW_ETH_MQ_RX_NONE:          return RTE_ETH_MQ_RX_NONE;
	case VGW_ETH_MQ_RX_RSS:           return RTE_ETH_MQ_RX_RSS;
	case VGW_ETH_RSS_IP:              return (int64_t)RTE_ETH_RSS_IP;
	case VGW_ETH_RSS_TCP:             return (int64_t)RTE_ETH_RSS_TCP;
	case VGW_ETH_RSS_UDP:             return (int64_t)RTE_ETH_RSS_UDP;

	case VGW_ETH_STATS_SIZEOF:        return sizeof(struct rte_eth_stats);
	case VGW_ETH_STATS_IPACKETS:      return offsetof(struct rte_eth_stats, ipackets);
	case VGW_ETH_STATS_OPACKETS:      return offsetof(struct rte_eth_stats, opackets);
	case VGW_ETH_STATS_IBYTES:        return offsetof(struct rte_eth_stats, ibytes);
	case VGW_ETH_STATS_OBYTES:        return offsetof(struct rte_eth_stats, obytes);
	case VGW_ETH_STATS_IMISSED:       return offsetof(struct rte_eth_stats, imissed);
	case VGW_ETH_STATS_IERRORS:       return offsetof(struct rte_eth_stats, ierrors);
	case VGW_ETH_STATS_OERRORS:       return offsetof(struct rte_eth_stats, oerrors);
	case VGW_ETH_STATS_RX_NOMBUF:     return offsetof(struct rte_eth_stats, rx_nombuf);

	case VGW_ETHER_ADDR_LEN:          return RTE_ETHER_ADDR_LEN;
	case VGW_SOCKET_ID_ANY:           return SOCKET_ID_ANY;
	case VGW_MAX_LCORE:               return RTE_MAX_LCORE;
	case VGW_LCORE_ID_ANY:            return LCORE_ID_ANY;
	case VGW_MAX_ETHPORTS:            return RTE_MAX_ETHPORTS;

	case VGW_LAYOUT_KEYS:             break;
	}
	return INT64_MIN;
}
