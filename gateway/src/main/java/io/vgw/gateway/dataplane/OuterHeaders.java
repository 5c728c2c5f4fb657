package io.vgw.gateway.dataplane;

/**
 * The per-server template of the IPIP encapsulation: what the outer Ethernet and IPv4 headers hold for a real server
 * whatever the packet — the first Ethernet word (next hop's MAC, then this port's MAC) and the one's-complement sum
 * of the outer header's constant words (version/IHL, protocol 4, this node's address, the server's address). Per
 * packet only TOS, length, ID, flags and TTL are added. Rebuilt off the per-packet path, when a new forwarding state
 * is first used; arrays are reused while they are large enough.
 */
final class OuterHeaders {
    private final long portMac;
    private final long constantSum;
    private ForwardingState builtFor;
    private long[] ethernet = new long[0];
    private long[] sums = new long[0];

    /**
     * @param localAddress this node's address: the outer source
     * @param portMac      the port's MAC (low 48 bits)
     */
    OuterHeaders(int localAddress, long portMac) {
        this.portMac = portMac;
        this.constantSum = 0x4500 + Net.PROTO_IPIP + (localAddress >>> 16) + (localAddress & 0xffff);
    }

    /** Makes the templates match {@code state} (once per state, not per packet). */
    void use(ForwardingState state) {
        if (state == builtFor) return;
        int n = state.servers();
        if (ethernet.length < n) {
            ethernet = new long[n];
            sums = new long[n];
        }
        for (int i = 0; i < n; i++) {
            int server = state.serverAddress[i];
            long mac = state.serverMac[i];
            ethernet[i] = mac == 0 ? 0 : mac << 16 | portMac >>> 32;
            sums[i] = constantSum + (server >>> 16) + (server & 0xffff);
        }
        builtFor = state;
    }

    /** Destination MAC and the first 2 bytes of the source MAC, as one big-endian word; 0 while unresolved. */
    long ethernet(int local) {
        return ethernet[local];
    }

    /** The outer header's constant words, summed (not folded). */
    long sum(int local) {
        return sums[local];
    }
}
