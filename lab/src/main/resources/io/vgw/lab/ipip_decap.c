// SPDX-License-Identifier: GPL-2.0
/*
 * IPIP decapsulation for a real server, as a tc ingress program: this kernel has no ipip module, so the server
 * strips the outer header itself. The inner packet (addressed to the VIP, configured on lo) then goes up the
 * stack as if it came from the client, and the reply leaves straight to the client: direct server return.
 *
 * Only IPv4-in-IPv4 that is not fragmented is touched (routing only brings the server packets addressed to it, and
 * the kernel drops an inner packet whose destination is not local); everything else passes.
 *
 * Build: clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c ipip_decap.c -o ipip_decap.o
 * Load:  tc qdisc add dev eth0 clsact; tc filter add dev eth0 ingress bpf da obj ipip_decap.o sec tc
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Counted per outcome, readable with bpftool map dump (a test checks decapsulated > 0). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

enum { DECAPSULATED = 0, FRAGMENT_PASSED = 1 };

static __always_inline void count(__u32 what)
{
	__u64 *value = bpf_map_lookup_elem(&decap_stats, &what);
	if (value)
		__sync_fetch_and_add(value, 1);
}

SEC("tc")
int decap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *outer = data + sizeof(*eth);

	if ((void *)(outer + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (outer->protocol != IPPROTO_IPIP || outer->ihl != 5)
		return TC_ACT_OK;
	if (outer->frag_off & bpf_htons(0x3fff)) {
		/* A fragmented outer packet must be reassembled first: leave it to the stack. */
		count(FRAGMENT_PASSED);
		return TC_ACT_OK;
	}
	if (bpf_skb_adjust_room(skb, -(int)sizeof(struct iphdr), BPF_ADJ_ROOM_MAC, 0))
		return TC_ACT_SHOT;
	count(DECAPSULATED);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
