package io.vgw.gateway.port;

import java.util.Locale;

/** What kind of DPDK port a gateway forwards on (gateway.yaml {@code port.kind}; in {@code vgw status}). */
public enum PortKind {
    /** AF_XDP where it works, else AF_PACKET: the default for {@code port.iface}. */
    AUTO,
    /** {@code net_af_xdp} with vgw's XDP program: only VIP traffic reaches the gateway, the kernel the rest. */
    AF_XDP,
    /** {@code net_af_packet}: the gateway sees every frame of the interface, the kernel too. */
    AF_PACKET,
    /** Whatever {@code port.device} names (pcap, null, a NIC's PMD, ...). */
    DEVICE;

    /**
     * RX and TX ring size per queue when gateway.yaml gives none. AF_XDP gets 4096: on a device without zero copy
     * (veth, generic XDP) the worker's send runs the receiving side's stack in its own thread, and meanwhile the
     * kernel drops what overflows the socket's RX ring; at 1024 a TCP upload through the lab lost 1.4 % of its
     * packets there (counted as the interface's RX drops) and fell back on retransmissions.
     */
    public int defaultDescriptors() {
        return this == AF_XDP ? 4096 : 1024;
    }

    /** As gateway.yaml and status write it: {@code af_xdp}. */
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static PortKind parse(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }
}
