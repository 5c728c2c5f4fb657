package io.vgw.maglev;

/**
 * How much of a service's flow space changes server between two tables: the share of flow hashes whose server
 * identity differs. Tables of different sizes are compared over the hash space itself (each slot covers an interval
 * of the upper 32 bits of the flow hash), so resizing a table is measured exactly too.
 */
public final class FlowShift {
    private static final long SPACE = 1L << 32;

    private FlowShift() {}

    /** The moved share in [0, 1]; flows that had no server, or have none now, count as moved. */
    public static double movedShare(ServiceTable before, ServiceTable after) {
        MaglevTable a = before.table();
        MaglevTable b = after.table();
        long moved = 0;
        long position = 0;
        int i = 0;
        int j = 0;
        while (position < SPACE) {
            long endA = start(i + 1, a.size());
            long endB = start(j + 1, b.size());
            long end = Math.min(endA, endB);
            int x = a.server(i);
            int y = b.server(j);
            if (x == Maglev.NONE || y == Maglev.NONE || !before.keys().get(x).equals(after.keys().get(y))) {
                moved += end - position;
            }
            position = end;
            if (endA == end) i++;
            if (endB == end) j++;
        }
        return (double) moved / SPACE;
    }

    /** The first upper-32-bit hash value that {@link Hashing#slot} maps to slot i of a table of size m. */
    private static long start(int i, int m) {
        return ((long) i * SPACE + m - 1) / m;
    }
}
