package io.vgw.gateway.dataplane;

import java.nio.ByteBuffer;

/**
 * A small frame builder for the scenario tests: Ethernet (addressed to the port, from the router) / IPv4 / TCP, UDP
 * or an ICMP error, with checksums computed here (RFC 1071), independently of the data plane's code.
 */
final class Frames {
    static final int TCP = 6;
    static final int UDP = 17;
    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int ACK = 0x10;

    private Frames() {}

    static byte[] tcp(int src, int sport, int dst, int dport, int flags) {
        ByteBuffer l4 = ByteBuffer.allocate(20);
        l4.putShort((short) sport).putShort((short) dport).putInt(1000).putInt((flags & ACK) != 0 ? 5000 : 0)
                .put((byte) 0x50).put((byte) flags).putShort((short) 64240).putShort((short) 0).putShort((short) 0);
        byte[] seg = l4.array();
        putChecksum(seg, 16, pseudo(src, dst, TCP, seg.length) + sum(seg));
        return frame(ipv4(src, dst, TCP, 64, 0x4000, seg));
    }

    static byte[] udp(int src, int sport, int dst, int dport) {
        byte[] payload = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
        ByteBuffer l4 = ByteBuffer.allocate(8 + payload.length);
        l4.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload.length)).putShort((short) 0)
                .put(payload);
        byte[] dgram = l4.array();
        putChecksum(dgram, 6, pseudo(src, dst, UDP, dgram.length) + sum(dgram));
        return frame(ipv4(src, dst, UDP, 64, 0, dgram));
    }

    /**
     * An ICMP fragmentation-needed from a router to a VIP, quoting the first 28 bytes of a TCP packet the real server
     * sent from vip:vport to client:cport.
     */
    static byte[] fragNeededAbout(int router, int vip, int vport, int client, int cport) {
        byte[] quotedTcp = new byte[20];
        ByteBuffer.wrap(quotedTcp).putShort((short) vport).putShort((short) cport).putInt(7000);
        byte[] quoted = ipv4(vip, client, TCP, 64, 0x4000, quotedTcp);
        ByteBuffer icmp = ByteBuffer.allocate(8 + 28);
        icmp.put((byte) 3).put((byte) 4).putShort((short) 0).putShort((short) 0).putShort((short) 1400)
                .put(quoted, 0, 28);
        byte[] message = icmp.array();
        putChecksum(message, 2, sum(message));
        return frame(ipv4(router, vip, 1, 62, 0, message));
    }

    static byte[] ipv4(int src, int dst, int protocol, int ttl, int fragment, byte[] payload) {
        ByteBuffer ip = ByteBuffer.allocate(20 + payload.length);
        ip.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length)).putShort((short) 0x1234)
                .putShort((short) fragment).put((byte) ttl).put((byte) protocol).putShort((short) 0).putInt(src)
                .putInt(dst).put(payload);
        byte[] packet = ip.array();
        putChecksum(packet, 10, sum(packet, 0, 20));
        return packet;
    }

    static byte[] frame(byte[] ipPacket) {
        ByteBuffer f = ByteBuffer.allocate(14 + ipPacket.length);
        putMac(f, TestWorld.PORT_MAC);
        putMac(f, TestWorld.ROUTER_MAC);
        f.putShort((short) 0x0800).put(ipPacket);
        return f.array();
    }

    private static void putMac(ByteBuffer b, long mac) {
        b.putShort((short) (mac >>> 32)).putInt((int) mac);
    }

    static long sum(byte[] b) {
        return sum(b, 0, b.length);
    }

    static long sum(byte[] b, int from, int len) {
        long s = 0;
        for (int i = 0; i < len; i += 2) {
            int hi = b[from + i] & 0xff;
            int lo = i + 1 < len ? b[from + i + 1] & 0xff : 0;
            s += hi << 8 | lo;
        }
        return s;
    }

    private static long pseudo(int src, int dst, int protocol, int length) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
    }

    /** Folds and inverts a one's-complement sum. */
    static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) ~s & 0xffff;
    }

    private static void putChecksum(byte[] b, int at, long s) {
        int c = fold(s);
        b[at] = (byte) (c >>> 8);
        b[at + 1] = (byte) c;
    }

    /** True when the 16-bit one's-complement sum over the range is all ones (a valid checksum inside). */
    static boolean checksumValid(byte[] b, int from, int len) {
        return fold(sum(b, from, len)) == 0;
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    static int i32(byte[] b, int at) {
        return ByteBuffer.wrap(b, at, 4).getInt();
    }
}
