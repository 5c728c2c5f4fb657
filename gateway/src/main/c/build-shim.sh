#!/bin/sh
# Builds the vgw native shim: build-shim.sh OUTPUT.so
# Run by gateway/pom.xml (exec-maven-plugin, compile phase); CC overrides gcc.
# Needs pkg-config, libdpdk-dev (DPDK 22.11) and libbpf-dev (the XDP map lookup, section 5).
#
# -Wl,--no-as-needed keeps librte_eal/mempool/mbuf/ethdev as DT_NEEDED although the
# shim calls few of their symbols itself: Java finds rte_eal_init, rte_eth_*,
# rte_pktmbuf_pool_create ... (and libbpf's bpf_map_update_elem ...) through
# SymbolLookup.loaderLookup(), that is through this library's dependencies. The
# PMDs (net_null, net_pcap, ...) are not linked: the EAL loads them from its
# plugin directory at rte_eal_init.
set -eu
out=$1
src=$(dirname "$0")/vgw_shim.c
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2046 # pkg-config output must be word-split
${CC:-gcc} -O2 -g -Wall -Wextra -shared -fPIC -fvisibility=hidden \
    $(pkg-config --cflags libdpdk) \
    -o "$out" "$src" \
    -Wl,--no-as-needed -lrte_eal -lrte_mempool -lrte_mbuf -lrte_ethdev -lbpf \
    $(pkg-config --libs libdpdk)
