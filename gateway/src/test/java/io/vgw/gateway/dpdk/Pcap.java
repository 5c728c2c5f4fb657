package io.vgw.gateway.dpdk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The classic pcap file format, just enough for the tests: a 24-byte global header
 * (magic, version 2.4, thiszone, sigfigs, snaplen, linktype 1 = Ethernet), then per frame a 16-byte
 * record header (ts_sec, ts_usec or ts_nsec, incl_len, orig_len) and the bytes. Written
 * little-endian; read in either byte order and with the microsecond (0xa1b2c3d4) or nanosecond
 * (0xa1b23c4d, what net_pcap's tx_pcap writes) magic.
 */
public final class Pcap {

    private static final int MAGIC_MICROS = 0xa1b2c3d4;
    private static final int MAGIC_NANOS = 0xa1b23c4d;
    private static final int LINKTYPE_ETHERNET = 1;

    private Pcap() {
    }

    public static void write(Path file, List<byte[]> frames) throws IOException {
        int size = 24 + frames.stream().mapToInt(f -> 16 + f.length).sum();
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC_MICROS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535)
                .putInt(LINKTYPE_ETHERNET);
        int second = 1_700_000_000;
        for (byte[] frame : frames) {
            b.putInt(second++).putInt(0).putInt(frame.length).putInt(frame.length).put(frame);
        }
        Files.write(file, b.array());
    }

    public static List<byte[]> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
            b.order(ByteOrder.BIG_ENDIAN);
            magic = b.getInt(0);
            if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
                throw new IOException(file + ": not a pcap file (magic 0x" + Integer.toHexString(magic) + ")");
            }
        }
        if (b.getInt(20) != LINKTYPE_ETHERNET) {
            throw new IOException(file + ": linktype " + b.getInt(20) + ", expected Ethernet");
        }
        b.position(24);
        List<byte[]> frames = new ArrayList<>();
        while (b.remaining() >= 16) {
            b.getInt();
            b.getInt();
            int included = b.getInt();
            b.getInt();
            byte[] frame = new byte[included];
            b.get(frame);
            frames.add(frame);
        }
        if (b.hasRemaining()) {
            throw new IOException(file + ": " + b.remaining() + " trailing bytes");
        }
        return frames;
    }

    /** An Ethernet frame: dst MAC, src MAC, ethertype IPv4, then {@code payload} bytes 0, 1, 2, ... */
    public static byte[] frame(int dstLast, int srcLast, int length, int seed) {
        byte[] f = new byte[length];
        byte[] dst = {0x02, 0, 0, 0, 0, (byte) dstLast};
        byte[] src = {0x02, 0, 0, 0, 1, (byte) srcLast};
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x00;
        for (int i = 14; i < length; i++) {
            f[i] = (byte) (seed + i);
        }
        return f;
    }
}
