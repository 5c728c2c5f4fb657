package io.vgw.gateway.dataplane;

import static io.vgw.gateway.dataplane.Net.*;

import io.vgw.maglev.Hashing;

/**
 * What happens to one frame: parse → VIP lookup → connection table → weighted Maglev → IPIP encapsulation, or an
 * ICMP answer, or a drop with its named {@link Counter}. Every frame counts as exactly one of TX, PASS or a drop
 * reason (RX = TX + PASS + drops); the other counters say more about some of them. One instance per worker: it owns
 * the worker's connection table and counters, so nothing here is shared, locked or allocated.
 *
 * <p>The frame is rewritten in place. On {@link #TX} the caller prepends {@link #prepended} bytes to the buffer
 * (the headroom the frame was given) and sets its length to {@link #length}; on {@link #DROP} it frees the buffer;
 * on {@link #PASS} the frame is not for us (the kernel sees its own copy with AF_PACKET) and is freed too.
 *
 * <p>The IPv4 header is read once, as two 64-bit words and one 32-bit word: the checksum is verified from them and
 * every field is decoded from them into this object's per-packet fields (Katran's packet description), so the
 * steps below read no header byte twice.
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

    /**
     * An established hit rewrites its entry's expiry only when this many ticks (about a second) have passed since
     * it was last written: a hot flow's packets then leave its cache line clean, and an idle timeout ends at most
     * this much early.
     */
    static final int REFRESH_TICKS = 8;

    private final ConnTable conns;
    private final OuterHeaders outerHeaders;
    private final long[] counters = new long[Counter.ALL.length];
    /** Per server id: packets at 2*id, bytes (inner IP) at 2*id+1. */
    private final long[] serverCounters;
    private final int localAddress;
    private final long portMac;
    private final int mtu;
    private int ipId;

    private ForwardingState state = ForwardingState.empty();
    private int now;

    // The packet being processed, decoded once (valid from the IPv4 header checks on).
    private long frame;
    private int headroom;
    private int l2;
    private long ip;
    private int ihl;
    private int total;
    private int tos;
    private int fragment;
    private int ttl;
    private int protocol;
    private int src;
    private int dst;
    /** The ICMP type when the packet is ICMP, else -1. */
    private int icmpType;

    /** Folds in the words {@link #prefetch} loads, so the JIT keeps the loads. */
    private long touched;
    /** The current frame's flow hash from {@link #prefetch}, or 0. */
    private long prefetchedHash;

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
        this.outerHeaders = new OuterHeaders(localAddress, portMac);
        this.portMac = portMac;
        this.mtu = mtu;
        this.serverCounters = new long[2 * maxServerIds];
    }

    /** Called once per burst: the state to forward with and the tick of this burst. */
    public void begin(ForwardingState state, int now) {
        this.state = state;
        this.now = now;
        outerHeaders.use(state);
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
     * Stage 1 of a burst, before {@link #process} takes its frames one by one: hashes the flow of every frame that
     * looks like option-less IPv4 TCP or UDP, then touches the connection-table buckets the lookups will read, in two
     * tight rounds (every primary bucket; then the alternate ones the primaries do not answer for), so the burst's
     * cache misses overlap instead of coming one after another. Nothing is validated or counted here: a wrong guess
     * only costs a useless load.
     *
     * @param frames addresses of the frames' first bytes
     * @param hashes receives each frame's flow hash for {@link #process}, or 0 (process computes it then)
     */
    public void prefetch(long[] frames, int[] lengths, long[] hashes, int n) {
        for (int i = 0; i < n; i++) hashes[i] = flowHash(frames[i], lengths[i]);
        long t = 0;
        for (int i = 0; i < n; i++) t += conns.touch(hashes[i]);
        for (int i = 0; i < n; i++) t += conns.touchAlternate(hashes[i]);
        touched += t;
    }

    /** The flow hash of a frame that looks like option-less IPv4 TCP or UDP, else 0. */
    private static long flowHash(long f, int len) {
        if (len < ETH_LEN + VLAN_LEN + IP_LEN + 4) return 0;
        long ip = f + ETH_LEN;
        int type = u16(f + ETH_TYPE);
        if (type == TYPE_VLAN) {
            type = u16(f + ETH_TYPE + VLAN_LEN);
            ip += VLAN_LEN;
        }
        if (type != TYPE_IPV4 || u8(ip) != 0x45) return 0;
        int proto = u8(ip + IP_PROTO);
        if (proto != PROTO_TCP && proto != PROTO_UDP) return 0;
        int ports = i32(ip + IP_LEN);
        return Hashing.flow(i32(ip + IP_SRC), i32(ip + IP_DST), ports >>> 16, ports & 0xffff, proto);
    }

    /**
     * One frame, start to end.
     *
     * @param f        address of the frame's first byte
     * @param len      frame length
     * @param headroom bytes free before {@code f}
     */
    public int process(long f, int len, int headroom) {
        return process(f, len, headroom, 0);
    }

    /**
     * @param hash the flow hash {@link #prefetch} returned for this frame, or 0
     */
    public int process(long f, int len, int headroom, long hash) {
        prefetchedHash = hash;
        counters[Counter.RX.ordinal()]++;
        frame = f;
        this.headroom = headroom;
        if (len < ETH_LEN) return count(Counter.DROP_TOO_SHORT);
        int type = u16(f + ETH_TYPE);
        l2 = ETH_LEN;
        if (type == TYPE_VLAN) {
            if (len < ETH_LEN + VLAN_LEN) return count(Counter.DROP_TOO_SHORT);
            type = u16(f + ETH_TYPE + VLAN_LEN);
            l2 += VLAN_LEN;
        }
        if (type != TYPE_IPV4) return count(Counter.PASS);
        if (len < l2 + IP_LEN) return count(Counter.DROP_TOO_SHORT);
        ip = f + l2;
        dst = i32(ip + IP_DST);
        if (!state.isVip(dst)) return count(Counter.PASS);
        long first = i64(ip);        // version/IHL, TOS, total length, ID, flags/fragment offset
        long second = i64(ip + 8);   // TTL, protocol, checksum, source
        if ((int) (first >>> 60) != 4) return count(Counter.DROP_BAD_VERSION);
        ihl = (int) (first >>> 54) & 0x3c;
        if (ihl < IP_LEN || l2 + ihl > len) return count(Counter.DROP_BAD_IHL);
        total = (int) (first >>> 32) & 0xffff;
        if (total < ihl || l2 + total > len) return count(Counter.DROP_BAD_TOTAL_LENGTH);
        long sum = Checksum.sumHeader(first, second, dst);
        if (ihl > IP_LEN) sum += Checksum.sum(ip + IP_LEN, ihl - IP_LEN);
        if (Checksum.finish(sum) != 0) return count(Counter.DROP_BAD_IP_CHECKSUM);
        tos = (int) (first >>> 48) & 0xff;
        fragment = (int) first & 0xffff;
        ttl = (int) (second >>> 56);
        protocol = (int) (second >>> 48) & 0xff;
        src = (int) second;
        icmpType = -1;
        if ((fragment & (IP_MF | IP_OFFSET_MASK)) != 0) return fragment();
        long l4 = ip + ihl;
        int l4len = total - ihl;
        return switch (protocol) {
            case PROTO_TCP -> tcp(l4, l4len);
            case PROTO_UDP -> udp(l4, l4len);
            case PROTO_ICMP -> icmp(l4, l4len);
            default -> count(Counter.DROP_UNSUPPORTED_PROTOCOL);
        };
    }

    private int tcp(long l4, int l4len) {
        if (l4len < TCP_MIN) return count(Counter.DROP_TRUNCATED_L4);
        int offsetAndFlags = u16(l4 + TCP_OFFSET);
        int offset = (offsetAndFlags >>> 10) & 0x3c;
        if (offset < TCP_MIN || offset > l4len) return count(Counter.DROP_BAD_TCP_OFFSET);
        int ports = i32(l4);
        int dport = ports & 0xffff;
        int service = state.service(dst, PROTO_TCP, dport);
        if (service < 0) return count(Counter.DROP_NO_SERVICE);
        if (ttl <= 1) return timeExceeded();
        int local = connect(service, ports >>> 16, dport, offsetAndFlags & 0xff);
        if (local < 0) return count(Counter.DROP_NO_SERVER);
        return encapsulate(local);
    }

    private int udp(long l4, int l4len) {
        if (l4len < UDP_LEN) return count(Counter.DROP_TRUNCATED_L4);
        int udpLength = u16(l4 + 4);
        if (udpLength < UDP_LEN || udpLength > l4len) return count(Counter.DROP_BAD_UDP_LENGTH);
        int ports = i32(l4);
        int dport = ports & 0xffff;
        int service = state.service(dst, PROTO_UDP, dport);
        if (service < 0) return count(Counter.DROP_NO_SERVICE);
        if (ttl <= 1) return timeExceeded();
        int local = connect(service, ports >>> 16, dport, 0);
        if (local < 0) return count(Counter.DROP_NO_SERVER);
        return encapsulate(local);
    }

    private int fragment() {
        int service = state.fragmentService(dst, protocol);
        if (service < 0) return count(Counter.DROP_FRAGMENT_NO_SERVICE);
        if (ttl <= 1) {
            // Only the first fragment may draw an ICMP error (RFC 1122 3.2.2).
            return (fragment & IP_OFFSET_MASK) == 0 ? timeExceeded() : count(Counter.DROP_TTL_EXPIRED);
        }
        int local = pick(service, Hashing.flow(src, dst, 0, 0, protocol));
        if (local < 0) return count(Counter.DROP_NO_SERVER);
        int verdict = encapsulate(local);
        if (verdict == TX) counters[Counter.FRAGMENTS_FORWARDED.ordinal()]++;
        return verdict;
    }

    private int icmp(long l4, int l4len) {
        if (l4len < ICMP_LEN) return count(Counter.DROP_TRUNCATED_L4);
        int type = u8(l4);
        icmpType = type;
        if (type == ICMP_ECHO) return echoReply(l4);
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
        if (ttl <= 1) return count(Counter.DROP_TTL_EXPIRED);
        int local = owner(service, client, vip, cport, vport, qprotocol);
        if (local < 0) return count(Counter.DROP_NO_SERVER);
        int verdict = encapsulate(local);
        if (verdict == TX) counters[Counter.ICMP_ERRORS_FORWARDED.ordinal()]++;
        return verdict;
    }

    private static long keyA(int src, int dst) {
        return (src & 0xffffffffL) << 32 | (dst & 0xffffffffL);
    }

    private static long keyB(int sport, int dport, int protocol) {
        return (long) sport << 24 | (long) dport << 8 | protocol;
    }

    /** The service's Maglev choice for a flow hash: a server index, or -1 when no server has entries. */
    private int pick(int service, long hash) {
        int server = state.tables[service].serverFor(hash);
        return server < 0 ? -1 : state.base[service] + server;
    }

    /** Usable: still in a pool of this state and up. */
    private boolean usable(int local) {
        return local >= 0 && state.serverUp[local];
    }

    /**
     * The server for a TCP or UDP packet of the current flow, recording it in the connection table: the entry's
     * server while it is usable, else Maglev's choice ({@link #schedule}). Returns a server index, or -1. Only the hit
     * is here, small enough for the JIT to inline; everything else is in {@link #schedule}.
     */
    private int connect(int service, int sport, int dport, int flags) {
        long a = keyA(src, dst);
        long b = keyB(sport, dport, protocol);
        // The prefetch pass hashed the same bytes (IHL 5 and TCP/UDP are all it assumed, and we are past their checks).
        long hash = prefetchedHash != 0 && ihl == IP_LEN ? prefetchedHash : Hashing.flow(src, dst, sport, dport, protocol);
        boolean syn = (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
        // A SYN always goes through Maglev: it looks for its entry only where schedule places it (findOrInsert).
        long slot = syn ? 0 : conns.find(a, b, hash, now);
        if (slot != 0) {
            long entry = ConnTable.entry(slot);
            int local = state.local(ConnTable.serverOf(entry));
            if (usable(local)) {
                counters[Counter.CONN_HITS.ordinal()]++;
                int previous = ConnTable.state(slot);
                int next = nextState(flags, previous);
                int ticks = ticks(service, next);
                // A hit that changes nothing but a recent expiry writes nothing (Katran: an established hit is read-only).
                if (next != previous || ConnTable.expiresOf(entry) - now < ticks - REFRESH_TICKS) {
                    ConnTable.set(slot, state.serverId[local], next, now + ticks);
                }
                return local;
            }
        }
        return schedule(service, hash, a, b, slot, syn, flags);
    }

    /**
     * A flow without a usable entry: Maglev's choice, recorded in the flow's entry (rescheduled when it has one whose
     * server is gone or down, else a new one). Returns a server index, or -1.
     */
    private int schedule(int service, long hash, long a, long b, long slot, boolean syn, int flags) {
        int local = pick(service, hash);
        if (local < 0) return -1;
        int previous = 0;
        if (slot != 0) { // never for a SYN: connect does not look one up
            previous = ConnTable.state(slot);
            counters[Counter.CONN_RESCHEDULED.ordinal()]++;
        } else {
            boolean fresh = syn || protocol == PROTO_UDP;
            counters[(fresh ? Counter.CONN_MISS_NEW : Counter.CONN_MISS_MID).ordinal()]++;
            slot = syn ? conns.findOrInsert(a, b, hash, now) : conns.insert(a, b, hash, now);
            if (conns.evicted) counters[Counter.CONN_EVICTED.ordinal()]++;
        }
        int next = nextState(flags, previous);
        ConnTable.set(slot, state.serverId[local], next, now + ticks(service, next));
        return local;
    }

    /** The flow's connection state after this packet, from its TCP flags and the entry's previous state. */
    private int nextState(int flags, int previous) {
        if (protocol == PROTO_UDP) return ConnTable.UDP;
        if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) return ConnTable.SYN;
        if ((flags & (TCP_FIN | TCP_RST)) != 0 || previous == ConnTable.CLOSING) return ConnTable.CLOSING;
        return ConnTable.ESTABLISHED;
    }

    /** The service's idle timeout for a connection state, in ticks. */
    private int ticks(int service, int connState) {
        return switch (connState) {
            case ConnTable.UDP -> state.udpTicks[service];
            case ConnTable.SYN -> state.synTicks[service];
            case ConnTable.CLOSING -> state.closingTicks[service];
            default -> state.establishedTicks[service];
        };
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

    /**
     * Prepends the outer IPv4 header (and a new Ethernet header) and addresses the frame to the server, from the
     * server's template. Kept small (the rare outcomes are in {@link #cannotEncapsulate}) so the JIT inlines it.
     */
    private int encapsulate(int local) {
        long ethernet = outerHeaders.ethernet(local);
        int outer = total + IP_LEN;
        if (ethernet == 0 || outer > mtu || headroom < IP_LEN) return cannotEncapsulate(ethernet, outer);
        long n = frame - IP_LEN;
        writeEthernet(n, ethernet);
        writeOuterIp(n + l2, local, outer);
        int serverId = state.serverId[local];
        serverCounters[2 * serverId]++;
        serverCounters[2 * serverId + 1] += total;
        counters[Counter.ENCAPSULATED.ordinal()]++;
        counters[Counter.TX.ordinal()]++;
        prepended = IP_LEN;
        length = l2 + outer;
        return TX;
    }

    /** Why a frame cannot be encapsulated: no next hop yet, too big for the port (ICMP with DF), no headroom. */
    private int cannotEncapsulate(long ethernet, int outer) {
        if (ethernet == 0) return count(Counter.DROP_NO_NEXT_HOP);
        if (outer > mtu) return (fragment & IP_DF) != 0 ? fragmentationNeeded() : count(Counter.DROP_TOO_BIG);
        return count(Counter.DROP_NO_HEADROOM);
    }

    /**
     * The outer IPv4 header at {@code o}: the template's summed constant words plus this packet's TOS, length, ID,
     * flags and TTL give the checksum (no pass over the header).
     */
    private void writeOuterIp(long o, int local, int outer) {
        boolean df = (fragment & IP_DF) != 0;
        int id = df ? 0 : ++ipId & 0xffff;
        int flags = df ? IP_DF : 0;
        int checksum = Checksum.finish(outerHeaders.sum(local) + tos + outer + id + flags + (ttl << 8));
        // Three stores: version/IHL, TOS, length, ID, flags | TTL, protocol, checksum, source | destination.
        put64(o, 0x45L << 56 | (long) tos << 48 | (long) outer << 32 | (long) id << 16 | flags);
        put64(o + 8, (long) ttl << 56 | (long) PROTO_IPIP << 48 | (long) checksum << 32 | (localAddress & 0xffffffffL));
        put32(o + 16, state.serverAddress[local]);
    }

    /**
     * Writes the Ethernet header of the frame that now starts at {@code n} (before the old start) from its first
     * word (destination MAC, then the first 2 bytes of this port's MAC), keeping a VLAN tag. Two 8-byte stores: the
     * second (source MAC, type) overlaps the first's last 2 bytes with the same bytes. The old header is read
     * before anything can overwrite it.
     */
    private void writeEthernet(long n, long firstWord) {
        if (l2 > ETH_LEN) {
            int tci = u16(frame + ETH_LEN);
            put64(n, firstWord);
            put64(n + 6, portMac << 16 | TYPE_VLAN);
            put32(n + ETH_TYPE + 2, tci << 16 | TYPE_IPV4);
        } else {
            put64(n, firstWord);
            put64(n + 6, portMac << 16 | TYPE_IPV4);
        }
    }

    private int echoReply(long l4) {
        if (u8(l4 + 1) != 0) return count(Counter.DROP_ICMP_UNMATCHED);
        long client = mac(frame + 6);
        putMac(frame, client);
        putMac(frame + 6, portMac);
        put32(ip + IP_SRC, dst);
        put32(ip + IP_DST, src);
        put8(ip + IP_TTL, ICMP_ERROR_TTL);
        put16(ip + IP_CSUM, 0);
        put16(ip + IP_CSUM, Checksum.of(ip, ihl));
        put8(l4, ICMP_ECHO_REPLY);
        put16(l4 + 2, Checksum.update(u16(l4 + 2), ICMP_ECHO << 8, ICMP_ECHO_REPLY << 8));
        counters[Counter.ICMP_ECHO_REPLIES.ordinal()]++;
        counters[Counter.TX.ordinal()]++;
        prepended = 0;
        length = l2 + total;
        return TX;
    }

    private int fragmentationNeeded() {
        if (!mayAnswerWithError()) return count(Counter.DROP_TOO_BIG);
        int verdict = icmpError(ICMP_UNREACHABLE, ICMP_FRAG_NEEDED, mtu - IP_LEN);
        if (verdict == TX) counters[Counter.ICMP_FRAG_NEEDED_SENT.ordinal()]++;
        return verdict;
    }

    private int timeExceeded() {
        if (!mayAnswerWithError()) return count(Counter.DROP_TTL_EXPIRED);
        int verdict = icmpError(ICMP_TIME_EXCEEDED, 0, 0);
        if (verdict == TX) counters[Counter.ICMP_TIME_EXCEEDED_SENT.ordinal()]++;
        return verdict;
    }

    /**
     * RFC 1122 3.2.2: no ICMP error about an ICMP error, a fragment other than the first, a link-layer broadcast or
     * multicast frame, or a source that is not one host (0/8, broadcast, multicast, class E).
     */
    private boolean mayAnswerWithError() {
        if (icmpType >= 0 && icmpType != ICMP_ECHO && icmpType != ICMP_ECHO_REPLY) return false;
        if ((fragment & IP_OFFSET_MASK) != 0) return false;
        if ((u8(frame) & 1) != 0) return false;
        int first = src >>> 24;
        return first != 0 && first < 224;
    }

    /**
     * Turns the frame into an ICMP error back to its sender, in place: the quoted original (IP header + 8 bytes)
     * already sits where the error's payload goes, so only 28 bytes (IP + ICMP headers) are prepended.
     */
    private int icmpError(int type, int code, int nextHopMtu) {
        if (headroom < IP_LEN + ICMP_LEN) return count(Counter.DROP_NO_HEADROOM);
        int quote = Math.min(ihl + 8, total);
        long n = frame - IP_LEN - ICMP_LEN;
        writeEthernet(n, mac(frame + 6) << 16 | portMac >>> 32);
        long o = n + l2;
        int size = IP_LEN + ICMP_LEN + quote;
        put8(o, 0x45);
        put8(o + IP_TOS, ICMP_ERROR_TOS);
        put16(o + IP_TOTAL, size);
        put16(o + IP_ID, 0);
        put16(o + IP_FRAG, 0);
        put8(o + IP_TTL, ICMP_ERROR_TTL);
        put8(o + IP_PROTO, PROTO_ICMP);
        put16(o + IP_CSUM, 0);
        put32(o + IP_SRC, localAddress);
        put32(o + IP_DST, src);
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
        length = l2 + size;
        return TX;
    }
}
