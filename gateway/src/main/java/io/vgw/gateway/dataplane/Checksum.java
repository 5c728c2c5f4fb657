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
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) ~sum & 0xffff;
    }

    static int of(long a, int len) {
        return finish(sum(a, len));
    }

    /** True when the header at {@code a}, checksum field included, sums to 0xffff. */
    static boolean valid(long a, int len) {
        return of(a, len) == 0;
    }

    /** RFC 1624 eqn. 3: the new checksum after one 16-bit word changes from {@code old} to {@code now}. */
    static int update(int checksum, int old, int now) {
        long sum = (~checksum & 0xffff) + (~old & 0xffff) + (now & 0xffff);
        return finish(sum);
    }
}
