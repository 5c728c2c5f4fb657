package io.vgw.gateway.dataplane;

import static io.vgw.gateway.dataplane.Net.*;

import io.vgw.maglev.Hashing;

/**
 * What happens to one frame: parse → VIP lookup → connection table → weighted Maglev → IPIP encapsulation, or an
 * ICMP answer, or a drop with its named {@link Counter}. Every frame counts as exactly one of TX, PASS or a drop
 * reason (RX = TX + PASS + drops); the other counters say more about some of them. One instance per worker: it owns the worker's connection
 * table and counters, so nothing here is shared, locked or allocated.
 *
 * <p>The frame is rewritten in place. On {@link #TX} the caller prepends {@link #prepended} bytes to the buffer
 * (the headroom the frame was given) and sets its length to {@link #length}; on {@link #DROP} it frees the buffer;
 * on {@link #PASS} the frame is not for us (the kernel sees its own copy with AF_PACKET) and is freed too.
 *
 * <p>Decisions, each covered by a fixture test:
 * <ul>
 *   <li>The inner packet is not changed: TTL, DSCP/ECN and DF are copied to the outer header; outer ID 0 with DF
 *       (RFC 6864), else a per-worker counter. Frame padding beyond the IP length is not sent.</li>
 *   <li>A VLAN tag on the way in is kept on the way out (same port, same VLAN).</li>
 *   <li>Too big after encapsulation: with DF, ICMP fragmentation-needed (next-hop MTU = port MTU - 20) from this
 *       node's address; without DF, dropped and counted (fragmenting the outer packet would need reassembly on
 *       the real server).</li>
 *   <li>IP fragments skip the connection table and hash on addresses and protocol only (ports 0), so every fragment
 *       of a datagram reaches the same server on every node; they go to the VIP's port-0 service, else its only
 *       service for that protocol.</li>
 *   <li>TTL ≤ 1 to a VIP: dropped, ICMP time-exceeded sent (not for ICMP errors, never about ICMP errors).</li>
 *   <li>ICMP echo to a VIP is answered by the node; ICMP errors about a VIP flow (frag-needed from a router on
 *       the server's reply path) go to the server that owns the quoted flow.</li>
 *   <li>A TCP SYN always goes through Maglev (a new connection on a reused port follows the current weights).</li>
 * </ul>
 */
public final class Pipeline {
    public static final int TX = 0;
    public static final int DROP = 1;
    public static final int PASS = 2;

    private static final int ICMP_ERROR_TTL = 64;
    /** DSCP CS6 (network control), as Linux sends its ICMP errors. */
    private static final int ICMP_ERROR_TOS = 0xc0;

    private final ConnTable conns;
    private final long[] counters = new long[Counter.ALL.length];
    /** Per server id: packets at 2*id, bytes (inner IP) at 2*id+1. */
    private final long[] serverCounters;
    private final int localAddress;
    private final long portMac;
    private final int mtu;
    private int ipId;

    private ForwardingState state = ForwardingState.empty();
    private int now;

    /** Bytes to prepend to the buffer on {@link #TX}. */
    public int prepended;
    /** Frame length after the prepend on {@link #TX}. */
    public int length;

    /**
     * @param localAddress this node's address: outer source of IPIP, source of ICMP errors
     * @param portMac      the port's MAC (low 48 bits)
     * @param mtu          the port's IP MTU
     * @param maxServerIds bound of server ids (sizes the per-server counters)
     */
    public Pipeline(ConnTable conns, int localAddress, long portMac, int mtu, int maxServerIds) {
        this.conns = conns;
        this.localAddress = localAddress;
        this.portMac = portMac;
        this.mtu = mtu;
        this.serverCounters = new long[2 * maxServerIds];
    }

    /** Called once per burst: the state to forward with and the tick of this burst. */
    public void begin(ForwardingState state, int now) {
        this.state = state;
        this.now = now;
    }

    public long[] counters() {
        return counters;
    }

    public long[] serverCounters() {
        return serverCounters;
    }

    public ConnTable conns() {
        return conns;
    }

    public int now() {
        return now;
    }

    /** Frames the TX queue refused after {@link #process} said {@link #TX}: they were dropped, not sent. */
    public void txRefused(int frames) {
        counters[Counter.TX.ordinal()] -= frames;
        counters[Counter.DROP_TX_FULL.ordinal()] += frames;
    }

    /** Counts a frame's fate: a drop reason (→ {@link #DROP}) or {@link Counter#PASS} (→ {@link #PASS}). */
    public int count(Counter c) {
        counters[c.ordinal()]++;
        return c.isDrop() ? DROP : PASS;
    }

    /**
     * @param f        address of the frame's first byte
     * @param len      frame length
     * @param headroom bytes free before {@code f}
     */
    public int process(long f, int len, int headroom) {
        counters[Counter.RX.ordinal()]++;
        if (len < ETH_LEN) return count(Counter.DROP_TOO_SHORT);
        int type = u16(f + ETH_TYPE);
        int l2 = ETH_LEN;
        if (type == TYPE_VLAN) {
            if (len < ETH_LEN + VLAN_LEN) return count(Counter.DROP_TOO_SHORT);
            type = u16(f + ETH_TYPE + VLAN_LEN);
            l2 += VLAN_LEN;
        }
        if (type != TYPE_IPV4) return count(Counter.PASS);
        if (len < l2 + IP_LEN) return count(Counter.DROP_TOO_SHORT);
        long ip = f + l2;
        int dst = i32(ip + IP_DST);
        if (!state.isVip(dst)) return count(Counter.PASS);
        int vihl = u8(ip);
        if (vihl >>> 4 != 4) return count(Counter.DROP_BAD_VERSION);
        int ihl = (vihl & 0xf) << 2;
        if (ihl < IP_LEN || l2 + ihl > len) return count(Counter.DROP_BAD_IHL);
        int total = u16(ip + IP_TOTAL);
        if (total < ihl || l2 + total > len) return count(Counter.DROP_BAD_TOTAL_LENGTH);
        if (!Checksum.valid(ip, ihl)) return count(Counter.DROP_BAD_IP_CHECKSUM);
        int protocol = u8(ip + IP_PROTO);
        if ((u16(ip + IP_FRAG) & (IP_MF | IP_OFFSET_MASK)) != 0) return fragment(f, l2, ip, total, dst, protocol, headroom);
        long l4 = ip + ihl;
        int l4len = total - ihl;
        return switch (protocol) {
            case PROTO_TCP -> tcp(f, l2, ip, total, l4, l4len, dst, headroom);
            case PROTO_UDP -> udp(f, l2, ip, total, l4, l4len, dst, headroom);
            case PROTO_ICMP -> icmp(f, l2, ip, total, l4, l4len, dst, headroom);
            default -> count(Counter.DROP_UNSUPPORTED_PROTOCOL);
        };
    }

    private int tcp(long f, int l2, long ip, int total, long l4, int l4len, int dst, int headroom) {
        if (l4len < TCP_MIN) return count(Counter.DROP_TRUNCATED_L4);
        int offset = (u8(l4 + TCP_OFFSET) >>> 4) << 2;
        if (offset < TCP_MIN || offset > l4len) return count(Counter.DROP_BAD_TCP_OFFSET);
        int dport = u16(l4 + 2);
        int service = state.service(dst, PROTO_TCP, dport);
        if (service < 0) return count(Counter.DROP_NO_SERVICE);
        if (u8(ip + IP_TTL) <= 1) return timeExceeded(f, l2, ip, total, headroom);
        int local = connect(service, i32(ip + IP_SRC), dst, u16(l4), dport, PROTO_TCP, u8(l4 + TCP_FLAGS));
        if (local < 0) return count(Counter.DROP_NO_SERVER);
        return encapsulate(f, l2, ip, total, local, headroom);
    }

    private int udp(long f, int l2, long ip, int total, long l4, int l4len, int dst, int headroom) {
        if (l4len < UDP_LEN) return count(Counter.DROP_TRUNCATED_L4);
        int udpLength = u16(l4 + 4);
        if (udpLength < UDP_LEN || udpLength > l4len) return count(Counter.DROP_BAD_UDP_LENGTH);
        int dport = u16(l4 + 2);
        int service = state.service(dst, PROTO_UDP, dport);
        if (service < 0) return count(Counter.DROP_NO_SERVICE);
        if (u8(ip + IP_TTL) <= 1) return timeExceeded(f, l2, ip, total, headroom);
        int local = connect(service, i32(ip + IP_SRC), dst, u16(l4), dport, PROTO_UDP, 0);
        if (local < 0) return count(Counter.DROP_NO_SERVER);
        return encapsulate(f, l2, ip, total, local, headroom);
    }

    private int fragment(long f, int l2, long ip, int total, int dst, int protocol, int headroom) {
        int service = state.fragmentService(dst, protocol);
        if (service < 0) return count(Counter.DROP_FRAGMENT_NO_SERVICE);
        if (u8(ip + IP_TTL) <= 1) {
            // Only the first fragment may draw an ICMP error (RFC 1122 3.2.2).
            boolean first = (u16(ip + IP_FRAG) & IP_OFFSET_MASK) == 0;
            return first ? timeExceeded(f, l2, ip, total, headroom) : count(Counter.DROP_TTL_EXPIRED);
        }
        int local = pick(service, Hashing.flow(i32(ip + IP_SRC), dst, 0, 0, protocol));
        if (local < 0) return count(Counter.DROP_NO_SERVER);
        counters[Counter.FRAGMENTS_FORWARDED.ordinal()]++;
        return encapsulate(f, l2, ip, total, local, headroom);
    }

    private int icmp(long f, int l2, long ip, int total, long l4, int l4len, int dst, int headroom) {
        if (l4len < ICMP_LEN) return count(Counter.DROP_TRUNCATED_L4);
        int type = u8(l4);
        if (type == ICMP_ECHO) return echoReply(f, l2, ip, total, l4, l4len);
        if (type != ICMP_UNREACHABLE && type != ICMP_TIME_EXCEEDED && type != ICMP_PARAMETER_PROBLEM) {
            return count(Counter.DROP_ICMP_UNMATCHED);
        }
        // An error about a packet our server sent from the VIP: quoted header src = VIP, dst = client.
        long quoted = l4 + ICMP_LEN;
        if (l4len < ICMP_LEN + IP_LEN) return count(Counter.DROP_TRUNCATED_L4);
        int qihl = (u8(quoted) & 0xf) << 2;
        if (qihl < IP_LEN || ICMP_LEN + qihl + 4 > l4len) return count(Counter.DROP_TRUNCATED_L4);
        int qprotocol = u8(quoted + IP_PROTO);
        int vip = i32(quoted + IP_SRC);
        if (vip != dst || (qprotocol != PROTO_TCP && qprotocol != PROTO_UDP)) return count(Counter.DROP_ICMP_UNMATCHED);
        int client = i32(quoted + IP_DST);
        int vport = u16(quoted + qihl);
        int cport = u16(quoted + qihl + 2);
        int service = state.service(vip, qprotocol, vport);
        if (service < 0) return count(Counter.DROP_ICMP_UNMATCHED);
        if (u8(ip + IP_TTL) <= 1) return count(Counter.DROP_TTL_EXPIRED);
        int local = owner(service, client, vip, cport, vport, qprotocol);
        if (local < 0) return count(Counter.DROP_NO_SERVER);
        counters[Counter.ICMP_ERRORS_FORWARDED.ordinal()]++;
        return encapsulate(f, l2, ip, total, local, headroom);
    }

    private static long keyA(int src, int dst) {
        return (src & 0xffffffffL) << 32 | (dst & 0xffffffffL);
    }

    private static long keyB(int sport, int dport, int protocol) {
        return (long) sport << 24 | (long) dport << 8 | protocol;
    }

    /** The service's Maglev choice for a flow hash: a server index, or -1 when no server has entries. */
    private int pick(int service, long hash) {
        int[] table = state.tables[service];
        return table[Hashing.slot(hash, table.length)];
    }

    /** Usable: still in a pool of this state and up. */
    private boolean usable(int local) {
        return local >= 0 && state.serverUp[local];
    }

    /**
     * The server for a packet of a flow, recording it in the connection table: the entry's server while it is
     * usable, else Maglev's choice. Returns a server index, or -1.
     */
    private int connect(int service, int src, int dst, int sport, int dport, int protocol, int flags) {
        long a = keyA(src, dst);
        long b = keyB(sport, dport, protocol);
        long hash = Hashing.flow(src, dst, sport, dport, protocol);
        boolean syn = (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
        long slot = conns.find(a, b, hash, now);
        int local;
        int previous = 0;
        if (slot != 0 && !syn) {
            previous = ConnTable.state(slot);
            local = state.local(ConnTable.server(slot));
            if (usable(local)) {
                counters[Counter.CONN_HITS.ordinal()]++;
            } else {
                local = pick(service, hash);
                if (local < 0) return -1;
                counters[Counter.CONN_RESCHEDULED.ordinal()]++;
            }
        } else {
            local = pick(service, hash);
            if (local < 0) return -1;
            boolean fresh = syn || protocol == PROTO_UDP;
            counters[(fresh ? Counter.CONN_MISS_NEW : Counter.CONN_MISS_MID).ordinal()]++;
            if (slot == 0) {
                slot = conns.insert(a, b, hash, now);
                if (conns.evicted) counters[Counter.CONN_EVICTED.ordinal()]++;
            }
        }
        int next;
        int ticks;
        if (protocol == PROTO_UDP) {
            next = ConnTable.UDP;
            ticks = state.udpTicks[service];
        } else if (syn) {
            next = ConnTable.SYN;
            ticks = state.synTicks[service];
        } else if ((flags & (TCP_FIN | TCP_RST)) != 0 || previous == ConnTable.CLOSING) {
            next = ConnTable.CLOSING;
            ticks = state.closingTicks[service];
        } else {
            next = ConnTable.ESTABLISHED;
            ticks = state.establishedTicks[service];
        }
        ConnTable.set(slot, state.serverId[local], next, now + ticks);
        return local;
    }

    /** The server owning a flow, without touching the table (ICMP errors must not create or extend entries). */
    private int owner(int service, int src, int dst, int sport, int dport, int protocol) {
        long hash = Hashing.flow(src, dst, sport, dport, protocol);
        long slot = conns.find(keyA(src, dst), keyB(sport, dport, protocol), hash, now);
        if (slot != 0) {
            int local = state.local(ConnTable.server(slot));
            if (usable(local)) return local;
        }
        return pick(service, hash);
    }

    /** Prepends the outer IPv4 header (and a new Ethernet header) and addresses the frame to the server. */
    private int encapsulate(long f, int l2, long ip, int total, int local, int headroom) {
        long mac = state.serverMac[local];
        if (mac == 0) return count(Counter.DROP_NO_NEXT_HOP);
        int outer = total + IP_LEN;
        boolean df = (u16(ip + IP_FRAG) & IP_DF) != 0;
        if (outer > mtu) {
            return df ? fragmentationNeeded(f, l2, ip, total, headroom) : count(Counter.DROP_TOO_BIG);
        }
        if (headroom < IP_LEN) return count(Counter.DROP_NO_HEADROOM);
        long n = f - IP_LEN;
        writeEthernet(f, n, l2, mac);
        long o = n + l2;
        put8(o, 0x45);
        put8(o + IP_TOS, u8(ip + IP_TOS));
        put16(o + IP_TOTAL, outer);
        put16(o + IP_ID, df ? 0 : ++ipId & 0xffff);
        put16(o + IP_FRAG, df ? IP_DF : 0);
        put8(o + IP_TTL, u8(ip + IP_TTL));
        put8(o + IP_PROTO, PROTO_IPIP);
        put16(o + IP_CSUM, 0);
        put32(o + IP_SRC, localAddress);
        put32(o + IP_DST, state.serverAddress[local]);
        put16(o + IP_CSUM, Checksum.of(o, IP_LEN));
        int id = state.serverId[local];
        serverCounters[2 * id]++;
        serverCounters[2 * id + 1] += total;
        counters[Counter.ENCAPSULATED.ordinal()]++;
        counters[Counter.TX.ordinal()]++;
        prepended = IP_LEN;
        length = l2 + outer;
        return TX;
    }

    /**
     * Writes the Ethernet header of a frame that now starts at {@code n} (before the old start {@code f}): to
     * {@code dstMac} from this port, keeping a VLAN tag. The old header is read before anything can overwrite it.
     */
    private void writeEthernet(long f, long n, int l2, long dstMac) {
        int tci = l2 > ETH_LEN ? u16(f + ETH_LEN) : 0;
        putMac(n, dstMac);
        putMac(n + 6, portMac);
        if (l2 > ETH_LEN) {
            put16(n + ETH_TYPE, TYPE_VLAN);
            put16(n + ETH_LEN, tci);
            put16(n + ETH_TYPE + VLAN_LEN, TYPE_IPV4);
        } else {
            put16(n + ETH_TYPE, TYPE_IPV4);
        }
    }

    private int echoReply(long f, int l2, long ip, int total, long l4, int l4len) {
        if (u8(l4 + 1) != 0) return count(Counter.DROP_ICMP_UNMATCHED);
        long client = mac(f + 6);
        putMac(f, client);
        putMac(f + 6, portMac);
        int src = i32(ip + IP_SRC);
        put32(ip + IP_SRC, i32(ip + IP_DST));
        put32(ip + IP_DST, src);
        put8(ip + IP_TTL, ICMP_ERROR_TTL);
        put16(ip + IP_CSUM, 0);
        put16(ip + IP_CSUM, Checksum.of(ip, (u8(ip) & 0xf) << 2));
        put8(l4, ICMP_ECHO_REPLY);
        put16(l4 + 2, Checksum.update(u16(l4 + 2), ICMP_ECHO << 8, ICMP_ECHO_REPLY << 8));
        counters[Counter.ICMP_ECHO_REPLIES.ordinal()]++;
        counters[Counter.TX.ordinal()]++;
        prepended = 0;
        length = l2 + total;
        return TX;
    }

    private int fragmentationNeeded(long f, int l2, long ip, int total, int headroom) {
        int verdict = icmpError(f, l2, ip, total, headroom, ICMP_UNREACHABLE, ICMP_FRAG_NEEDED, mtu - IP_LEN);
        if (verdict == TX) counters[Counter.ICMP_FRAG_NEEDED_SENT.ordinal()]++;
        return verdict;
    }

    private int timeExceeded(long f, int l2, long ip, int total, int headroom) {
        int verdict = icmpError(f, l2, ip, total, headroom, ICMP_TIME_EXCEEDED, 0, 0);
        if (verdict == TX) counters[Counter.ICMP_TIME_EXCEEDED_SENT.ordinal()]++;
        return verdict;
    }

    /**
     * Turns the frame into an ICMP error back to its sender, in place: the quoted original (IP header + 8 bytes)
     * already sits where the error's payload goes, so only 28 bytes (IP + ICMP headers) are prepended.
     */
    private int icmpError(long f, int l2, long ip, int total, int headroom, int type, int code, int nextHopMtu) {
        if (headroom < IP_LEN + ICMP_LEN) return count(Counter.DROP_NO_HEADROOM);
        int ihl = (u8(ip) & 0xf) << 2;
        int quote = Math.min(ihl + 8, total);
        int client = i32(ip + IP_SRC);
        long n = f - IP_LEN - ICMP_LEN;
        writeEthernet(f, n, l2, mac(f + 6));
        long o = n + l2;
        int length = IP_LEN + ICMP_LEN + quote;
        put8(o, 0x45);
        put8(o + IP_TOS, ICMP_ERROR_TOS);
        put16(o + IP_TOTAL, length);
        put16(o + IP_ID, 0);
        put16(o + IP_FRAG, 0);
        put8(o + IP_TTL, ICMP_ERROR_TTL);
        put8(o + IP_PROTO, PROTO_ICMP);
        put16(o + IP_CSUM, 0);
        put32(o + IP_SRC, localAddress);
        put32(o + IP_DST, client);
        put16(o + IP_CSUM, Checksum.of(o, IP_LEN));
        long icmp = o + IP_LEN;
        put8(icmp, type);
        put8(icmp + 1, code);
        put16(icmp + 2, 0);
        put16(icmp + 4, 0);
        put16(icmp + 6, nextHopMtu);
        put16(icmp + 2, Checksum.of(icmp, ICMP_LEN + quote));
        counters[Counter.TX.ordinal()]++;
        prepended = IP_LEN + ICMP_LEN;
        this.length = l2 + length;
        return TX;
    }
}
