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
 *   4. struct sizes, field offsets and macro constants (vgw_layout_table), so
 *      that Java never hard-codes a DPDK struct layout: one table of names and
 *      values, read once into static finals (io.vgw.gateway.dpdk.Layout);
 *   5. finding a map of the XDP program an AF_XDP port attached (libbpf's
 *      struct bpf_prog_info / bpf_map_info), for io.vgw.gateway.dpdk.XdpMap.
 *
 * Keep it this small: one downcall per burst, never one per packet.
 * Built by gateway/pom.xml (exec-maven-plugin, compile phase) with
 *   gcc -O2 -shared -fPIC $(pkg-config --cflags libdpdk) ... $(pkg-config --libs libdpdk)
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

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

/*
 * The one list of layout values: a name (what io.vgw.gateway.dpdk.Layout asks
 * for) and the value. Java reads the whole table once through
 * vgw_layout_table(); a name it needs and does not find fails at class load.
 */
struct vgw_layout_entry {
	const char *name;
	int64_t value;
};

static const struct vgw_layout_entry layout[] = {
	{"mbuf.sizeof",                 sizeof(struct rte_mbuf)},
	{"mbuf.buf_addr",               offsetof(struct rte_mbuf, buf_addr)},
	{"mbuf.data_off",               offsetof(struct rte_mbuf, data_off)},
	{"mbuf.data_len",               offsetof(struct rte_mbuf, data_len)},
	{"mbuf.pkt_len",                offsetof(struct rte_mbuf, pkt_len)},
	{"mbuf.nb_segs",                offsetof(struct rte_mbuf, nb_segs)},
	{"mbuf.buf_len",                offsetof(struct rte_mbuf, buf_len)},
	{"RTE_PKTMBUF_HEADROOM",        RTE_PKTMBUF_HEADROOM},
	{"RTE_MBUF_DEFAULT_BUF_SIZE",   RTE_MBUF_DEFAULT_BUF_SIZE},

	{"eth_conf.sizeof",             sizeof(struct rte_eth_conf)},
	{"eth_conf.rxmode.mq_mode",     offsetof(struct rte_eth_conf, rxmode.mq_mode)},
	{"eth_conf.rxmode.mtu",         offsetof(struct rte_eth_conf, rxmode.mtu)},
	{"eth_conf.rss_conf.rss_key",   offsetof(struct rte_eth_conf, rx_adv_conf.rss_conf.rss_key)},
	{"eth_conf.rss_conf.rss_key_len", offsetof(struct rte_eth_conf, rx_adv_conf.rss_conf.rss_key_len)},
	{"eth_conf.rss_conf.rss_hf",    offsetof(struct rte_eth_conf, rx_adv_conf.rss_conf.rss_hf)},

	{"eth_dev_info.sizeof",         sizeof(struct rte_eth_dev_info)},
	{"eth_dev_info.driver_name",    offsetof(struct rte_eth_dev_info, driver_name)},
	{"eth_dev_info.min_mtu",        offsetof(struct rte_eth_dev_info, min_mtu)},
	{"eth_dev_info.max_mtu",        offsetof(struct rte_eth_dev_info, max_mtu)},
	{"eth_dev_info.max_rx_queues",  offsetof(struct rte_eth_dev_info, max_rx_queues)},
	{"eth_dev_info.max_tx_queues",  offsetof(struct rte_eth_dev_info, max_tx_queues)},
	{"eth_dev_info.flow_type_rss_offloads", offsetof(struct rte_eth_dev_info, flow_type_rss_offloads)},

	{"RTE_ETH_MQ_RX_NONE",          RTE_ETH_MQ_RX_NONE},
	{"RTE_ETH_MQ_RX_RSS",           RTE_ETH_MQ_RX_RSS},
	{"RTE_ETH_RSS_IP",              (int64_t)RTE_ETH_RSS_IP},
	{"RTE_ETH_RSS_TCP",             (int64_t)RTE_ETH_RSS_TCP},
	{"RTE_ETH_RSS_UDP",             (int64_t)RTE_ETH_RSS_UDP},

	{"eth_stats.sizeof",            sizeof(struct rte_eth_stats)},
	{"eth_stats.ipackets",          offsetof(struct rte_eth_stats, ipackets)},
	{"eth_stats.opackets",          offsetof(struct rte_eth_stats, opackets)},
	{"eth_stats.ibytes",            offsetof(struct rte_eth_stats, ibytes)},
	{"eth_stats.obytes",            offsetof(struct rte_eth_stats, obytes)},
	{"eth_stats.imissed",           offsetof(struct rte_eth_stats, imissed)},
	{"eth_stats.ierrors",           offsetof(struct rte_eth_stats, ierrors)},
	{"eth_stats.oerrors",           offsetof(struct rte_eth_stats, oerrors)},
	{"eth_stats.rx_nombuf",         offsetof(struct rte_eth_stats, rx_nombuf)},

	{"RTE_ETHER_ADDR_LEN",          RTE_ETHER_ADDR_LEN},
	{"SOCKET_ID_ANY",               SOCKET_ID_ANY},
	{"RTE_MAX_LCORE",               RTE_MAX_LCORE},
	{"LCORE_ID_ANY",                LCORE_ID_ANY},
	{"RTE_MAX_ETHPORTS",            RTE_MAX_ETHPORTS},
};

/* The table above and its number of entries (in *count). */
VGW_EXPORT const struct vgw_layout_entry *vgw_layout_table(int *count)
{
	*count = (int)(sizeof(layout) / sizeof(layout[0]));
	return layout;
}

/* ---- 5. the XDP program's maps -------------------------------------------- */

#define VGW_MAX_PROG_MAPS 64

/*
 * The fd of the map called `name` that the XDP program attached to interface
 * `ifindex` uses (the caller closes it), or -errno: -ENOENT when no program is
 * attached or it has no such map. Slow path: once per port start.
 */
VGW_EXPORT int vgw_xdp_map_fd(int ifindex, const char *name)
{
	__u32 prog_id = 0;
	int rc = bpf_xdp_query_id(ifindex, 0, &prog_id);
	if (rc < 0)
		return rc;
	if (prog_id == 0)
		return -ENOENT;
	int prog = bpf_prog_get_fd_by_id(prog_id);
	if (prog < 0)
		return prog;
	__u32 ids[VGW_MAX_PROG_MAPS];
	struct bpf_prog_info info;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = VGW_MAX_PROG_MAPS;
	info.map_ids = (__u64)(uintptr_t)ids;
	__u32 len = sizeof(info);
	rc = bpf_obj_get_info_by_fd(prog, &info, &len);
	close(prog);
	if (rc < 0)
		return rc;
	__u32 maps = info.nr_map_ids < VGW_MAX_PROG_MAPS ? info.nr_map_ids : VGW_MAX_PROG_MAPS;
	for (__u32 i = 0; i < maps; i++) {
		int map = bpf_map_get_fd_by_id(ids[i]);
		if (map < 0)
			continue;
		struct bpf_map_info m;
		memset(&m, 0, sizeof(m));
		__u32 mlen = sizeof(m);
		if (bpf_obj_get_info_by_fd(map, &m, &mlen) == 0 && strncmp(m.name, name, sizeof(m.name)) == 0)
			return map;
		close(map);
	}
	return -ENOENT;
}
