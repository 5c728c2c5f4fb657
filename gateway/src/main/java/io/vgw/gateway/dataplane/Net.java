package io.vgw.gateway.dataplane;

import io.vgw.gateway.dpdk.Mbuf;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Header layouts and big-endian access to packet bytes. Every read and write of packet memory goes through the one
 * unbounded segment {@link Mbuf#MEMORY} at absolute addresses, so the JIT sees a single constant segment and tests
 * push packets through the same code from any native memory.
 *
 * <pre>
 * Ethernet  0 dst[6] | 6 src[6] | 12 type[2]          (VLAN: 12 0x8100 | 14 tci[2] | 16 type[2])
 * IPv4      0 ver/ihl | 1 tos | 2 total length | 4 id | 6 flags/fragment offset | 8 ttl | 9 protocol
 *          10 checksum | 12 source | 16 destination | 20 options (ihl > 5)
 * TCP       0 source port | 2 destination port | 4 seq | 8 ack | 12 data offset | 13 flags | 16 checksum
 * UDP       0 source port | 2 destination port | 4 length | 6 checksum
 * ICMP      0 type | 1 code | 2 checksum | 4 rest of header (echo: id, seq; frag-needed: unused[2], mtu[2])
 * </pre>
 */
final class Net {
    static final MemorySegment MEM = Mbuf.MEMORY;
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    static final int ETH_LEN = 14;
    static final int VLAN_LEN = 4;
    static final int ETH_TYPE = 12;
    static final int TYPE_IPV4 = 0x0800;
    static final int TYPE_VLAN = 0x8100;

    static final int IP_LEN = 20;
    static final int IP_TOS = 1;
    static final int IP_TOTAL = 2;
    static final int IP_ID = 4;
    static final int IP_FRAG = 6;
    static final int IP_TTL = 8;
    static final int IP_PROTO = 9;
    static final int IP_CSUM = 10;
    static final int IP_SRC = 12;
    static final int IP_DST = 16;
    static final int IP_DF = 0x4000;
    static final int IP_MF = 0x2000;
    static final int IP_OFFSET_MASK = 0x1fff;

    static final int PROTO_ICMP = 1;
    static final int PROTO_IPIP = 4;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;

    static final int TCP_MIN = 20;
    static final int TCP_OFFSET = 12;
    static final int TCP_FIN = 0x01;
    static final int TCP_SYN = 0x02;
    static final int TCP_RST = 0x04;
    static final int TCP_ACK = 0x10;
    static final int UDP_LEN = 8;

    static final int ICMP_LEN = 8;
    static final int ICMP_ECHO_REPLY = 0;
    static final int ICMP_UNREACHABLE = 3;
    static final int ICMP_FRAG_NEEDED = 4;
    static final int ICMP_ECHO = 8;
    static final int ICMP_TIME_EXCEEDED = 11;
    static final int ICMP_PARAMETER_PROBLEM = 12;

    private Net() {}

    static int u8(long a) {
        return MEM.get(ValueLayout.JAVA_BYTE, a) & 0xff;
    }

    static int u16(long a) {
        return MEM.get(BE_SHORT, a) & 0xffff;
    }

    static int i32(long a) {
        return MEM.get(BE_INT, a);
    }

    static long i64(long a) {
        return MEM.get(BE_LONG, a);
    }

    static void put64(long a, long v) {
        MEM.set(BE_LONG, a, v);
    }

    static void put8(long a, int v) {
        MEM.set(ValueLayout.JAVA_BYTE, a, (byte) v);
    }

    static void put16(long a, int v) {
        MEM.set(BE_SHORT, a, (short) v);
    }

    static void put32(long a, int v) {
        MEM.set(BE_INT, a, v);
    }

    /** Writes a MAC held as the low 48 bits of a long, most significant byte first (as printed). */
    static void putMac(long a, long mac) {
        put16(a, (int) (mac >>> 32));
        put32(a + 2, (int) mac);
    }

    static long mac(long a) {
        return (long) u16(a) << 32 | (i32(a + 2) & 0xffffffffL);
    }
}
