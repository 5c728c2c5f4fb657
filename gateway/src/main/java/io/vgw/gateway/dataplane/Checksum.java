package io.vgw.gateway.dataplane;

/** The Internet checksum (RFC 1071) over packet memory, and its incremental update (RFC 1624). */
final class Checksum {
    private Checksum() {}

    /** One's-complement sum of {@code len} bytes at {@code a} (len may be odd), not yet folded or inverted. */
    static long sum(long a, int len) {
        long sum = 0;
        int i = 0;
        for (; i + 4 <= len; i += 4) sum += Net.i32(a + i) & 0xffffffffL;
        if (i + 2 <= len) {
            sum += Net.u16(a + i);
            i += 2;
        }
        if (i < len) sum += Net.u8(a + i) << 8;
        return sum;
    }

    /** Folds a sum to 16 bits and inverts it: the value to store in a checksum field. */
    static int finish(long sum) {
        sum = (sum & 0xffffffffL) + (sum >>> 32);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        return (int) ~sum & 0xffff;
    }

    /**
     * The sum of an option-less IPv4 header given as its first two 64-bit words and last 32-bit word (big-endian):
     * 32-bit words summed in 64 bits fold to the same one's-complement sum as 16-bit words.
     */
    static long sumHeader(long first, long second, int last) {
        return (first >>> 32) + (first & 0xffffffffL) + (second >>> 32) + (second & 0xffffffffL) + (last & 0xffffffffL);
    }

    static int of(long a, int len) {
        return finish(sum(a, len));
    }

    /** RFC 1624 eqn. 3: the new checksum after one 16-bit word changes from {@code old} to {@code now}. */
    static int update(int checksum, int old, int now) {
        long sum = (~checksum & 0xffff) + (~old & 0xffff) + (now & 0xffff);
        return finish(sum);
    }
}
