/*
 * vgw_xdp.bpf.c - the XDP program of an AF_XDP port (port.kind af_xdp): VIP traffic to the gateway, the rest to
 * the kernel.
 *
 * DPDK's net_af_xdp PMD loads it (devargs xdp_prog=...), attaches it to the interface and puts each queue's
 * AF_XDP socket into the map named xsks_map (the PMD looks it up by that name). The gateway fills vgw_vips with
 * the live config's VIPs after the PMD attached the program, and updates it whenever it publishes a state with
 * another set of VIPs (io.vgw.gateway.port.XdpVips): a slow-path write, never per packet.
 *
 * An IPv4 frame (untagged or with one VLAN tag, as the pipeline parses) whose destination is a VIP goes to the
 * queue's socket; everything else - ARP, OSPF, BFD, health-check replies, the node's own traffic - passes to the
 * kernel, which then sees no VIP packet at all (unlike AF_PACKET, where it sees a copy of every frame). A VIP
 * frame on a queue without a socket (the gateway is gone) passes to the kernel too, which drops it: the VIP has
 * no local route on an LB node and IP forwarding is off.
 *
 * Built by gateway/pom.xml (build-xdp.sh): clang -O2 -g -target bpf.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* One socket per queue, indexed by the RX queue; 64 is the most queues gateway.yaml allows. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* The VIPs (IPv4, network byte order) the gateway forwards; the value is unused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} vgw_vips SEC(".maps");

struct vlan {
	__be16 tci;
	__be16 proto;
};

SEC("xdp")
int vgw_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	__be16 proto = eth->h_proto;
	void *l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan *v = l3;
		if ((void *)(v + 1) > end)
			return XDP_PASS;
		proto = v->proto;
		l3 = v + 1;
	}
	if (proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = l3;
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	__u32 dst = ip->daddr;
	if (!bpf_map_lookup_elem(&vgw_vips, &dst))
		return XDP_PASS;
	/* no socket on this queue: XDP_PASS (the low bits of flags are the verdict then) */
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
