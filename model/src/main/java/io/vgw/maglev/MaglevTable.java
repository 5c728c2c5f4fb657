package io.vgw.maglev;

/**
 * A built Maglev lookup table, as compact as its pool allows: one byte per slot for pools of up to 254 servers, two
 * (a char) otherwise (validation caps pools far below 65,535). A slot holds the owning server's index in the pool
 * plus one, 0 meaning no server. Immutable; one final class, so the data plane's lookup is a monomorphic call with
 * one well-predicted branch.
 */
public final class MaglevTable {
    /** The largest pool a one-byte table can index (255 is index 254 + 1). */
    static final int NARROW_SERVERS = 254;

    private final byte[] narrow;
    private final char[] wide;
    private final int size;
    private final int[] entries;

    /** One of narrow and wide is the table (server index + 1 per slot, 0: none); entries counts each server's slots. */
    MaglevTable(byte[] narrow, char[] wide, int[] entries) {
        this.narrow = narrow;
        this.wide = wide;
        this.size = narrow != null ? narrow.length : wide.length;
        this.entries = entries;
    }

    /** The index in the pool of the server owning a slot, or {@link Maglev#NONE}. */
    public int server(int slot) {
        return narrow != null ? (narrow[slot] & 0xff) - 1 : wide[slot] - 1;
    }

    /** The server index a flow hash maps to, or {@link Maglev#NONE}. */
    public int serverFor(long flowHash) {
        return server(Hashing.slot(flowHash, size));
    }

    /** The table size M. */
    public int size() {
        return size;
    }

    /** Slots per server, in pool order. */
    public int entries(int server) {
        return entries[server];
    }

    /** Heap bytes of a table of size m for a pool of n servers (array headers included), for memory estimates. */
    public static long bytes(int m, int n) {
        long perSlot = n <= NARROW_SERVERS ? 1 : 2;
        return 16 + perSlot * m + 16 + 4L * n + 32;
    }
}
