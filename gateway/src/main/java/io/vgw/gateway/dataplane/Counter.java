package io.vgw.gateway.dataplane;

import java.util.Locale;

/**
 * Every event the data plane counts, by name: what happened to each packet, and every reason a packet was dropped.
 * One enum, one counter each, so a drop is never silent and metrics get stable names.
 */
public enum Counter {
    RX("received frames"),
    TX("frames sent: encapsulated, or answered with ICMP"),
    PASS("frames left to the kernel: not IPv4 or not to a VIP (ARP, OSPF, ...)"),
    ENCAPSULATED("packets sent to a real server in IPIP"),
    ICMP_ECHO_REPLIES("echo replies sent for a VIP"),
    ICMP_FRAG_NEEDED_SENT("fragmentation-needed errors sent to clients"),
    ICMP_TIME_EXCEEDED_SENT("time-exceeded errors sent to clients"),
    ICMP_ERRORS_FORWARDED("ICMP errors about a VIP flow forwarded to its real server"),
    FRAGMENTS_FORWARDED("IP fragments forwarded by the 3-tuple hash"),
    CONN_HITS("packets that found their connection entry"),
    CONN_MISS_NEW("connection-table misses on a new flow (TCP SYN or a new UDP flow)"),
    CONN_MISS_MID("connection-table misses in the middle of a TCP flow (table lost it, or another LB had it)"),
    CONN_RESCHEDULED("entries whose real server left the pool, rescheduled by Maglev"),
    CONN_EVICTED("live entries evicted because their bucket was full"),

    DROP_TOO_SHORT("drop: frame shorter than its Ethernet and IPv4 headers"),
    DROP_MULTI_SEGMENT("drop: chained mbuf (jumbo frames are not supported)"),
    DROP_BAD_VERSION("drop: IP version is not 4"),
    DROP_BAD_IHL("drop: IPv4 header length below 20 bytes or beyond the packet"),
    DROP_BAD_TOTAL_LENGTH("drop: IPv4 total length shorter than its header or longer than the frame"),
    DROP_BAD_IP_CHECKSUM("drop: IPv4 header checksum is wrong"),
    DROP_TRUNCATED_L4("drop: TCP/UDP/ICMP header cut short"),
    DROP_BAD_TCP_OFFSET("drop: TCP data offset below 5 words or beyond the packet"),
    DROP_BAD_UDP_LENGTH("drop: UDP length field disagrees with the IP length"),
    DROP_NO_SERVICE("drop: a VIP address, but no service for this port and protocol"),
    DROP_NO_SERVER("drop: the service has no server of positive weight that is up"),
    DROP_NO_NEXT_HOP("drop: no route or resolved neighbour towards the real server"),
    DROP_TTL_EXPIRED("drop: TTL 1 or 0 and no time-exceeded may be sent (RFC 1122: ICMP errors, later fragments, broadcasts)"),
    DROP_TOO_BIG("drop: too big for the MTU after encapsulation, and no frag-needed may be sent (no DF, or RFC 1122)"),
    DROP_NO_HEADROOM("drop: no mbuf headroom to prepend the outer header"),
    DROP_ICMP_UNMATCHED("drop: ICMP to a VIP that is neither echo nor an error about a VIP flow"),
    DROP_FRAGMENT_NO_SERVICE("drop: fragment to a VIP with several services for its protocol and none on port 0"),
    DROP_UNSUPPORTED_PROTOCOL("drop: to a VIP, but neither TCP, UDP nor ICMP"),
    DROP_TX_FULL("drop: the TX queue was full");

    public final String help;

    Counter(String help) {
        this.help = help;
    }

    /** The metric-friendly name, e.g. drop_bad_ihl. */
    public String metricName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isDrop() {
        return name().startsWith("DROP_");
    }

    static final Counter[] ALL = values();
}
