package io.vgw.maglev;

/**
 * The hashes every LB node must compute identically (Java here, the same arithmetic in the data plane).
 *
 * <p>{@code mix64} is MurmurHash3's 64-bit finaliser (fmix64): a bijection on 64-bit values with full avalanche.
 * All arithmetic is on unsigned 64-bit words with wrap-around multiplication.
 *
 * <pre>
 * mix64(z):  z ^= z >>> 33; z *= 0xff51afd7ed558ccd; z ^= z >>> 33; z *= 0xc4ceb9fe1a85ec53; z ^= z >>> 33
 *
 * Flow hash of the 5-tuple (addresses as big-endian u32, ports as u16, protocol as u8):
 *   a = src_ip << 32 | dst_ip
 *   b = src_port << 24 | dst_port << 8 | protocol
 *   flow = mix64(a ^ mix64(b ^ FLOW_SEED))
 *
 * Maglev slot of a flow in a table of size M (Lemire's multiply-shift range reduction, no division):
 *   slot = ((flow >>> 32) * M) >>> 32
 *
 * Server permutation (identity = address << 16 | port, see RealServer.identity):
 *   offset = mix64(identity ^ OFFSET_SEED) mod M
 *   skip   = mix64(identity ^ SKIP_SEED) mod (M - 1) + 1        (unsigned mod)
 * </pre>
 *
 * IP fragments carry no ports after the first, so the data plane hashes every fragment with both ports 0; all
 * fragments of a datagram then reach one server.
 */
public final class Hashing {
    public static final long FLOW_SEED = 0x5667772d666c6f77L;   // "Vgw-flow"
    public static final long OFFSET_SEED = 0x5667772d6f666673L; // "Vgw-offs"
    public static final long SKIP_SEED = 0x5667772d736b6970L;   // "Vgw-skip"

    private Hashing() {}

    public static long mix64(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /**
     * @param srcIp   big-endian packed, as {@link io.vgw.config.Ipv4#parse}
     * @param srcPort 0..65535
     * @param proto   IPv4 protocol number
     */
    public static long flow(int srcIp, int dstIp, int srcPort, int dstPort, int proto) {
        long a = (srcIp & 0xffffffffL) << 32 | (dstIp & 0xffffffffL);
        long b = (long) srcPort << 24 | (long) dstPort << 8 | proto;
        return mix64(a ^ mix64(b ^ FLOW_SEED));
    }

    /** The slot of a flow hash in a table of size m (m < 2^31). */
    public static int slot(long flowHash, int m) {
        return (int) (((flowHash >>> 32) * m) >>> 32);
    }

    static int offset(long identity, int m) {
        return (int) Long.remainderUnsigned(mix64(identity ^ OFFSET_SEED), m);
    }

    static int skip(long identity, int m) {
        return (int) Long.remainderUnsigned(mix64(identity ^ SKIP_SEED), m - 1) + 1;
    }
}
