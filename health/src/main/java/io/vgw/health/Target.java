package io.vgw.health;

import io.vgw.config.Ipv4;
import io.vgw.maglev.Hashing;

/**
 * One thing probed: an address, a port and a check. However many services share a server on the same port with the
 * same check, it is one target and one probe per interval.
 */
public record Target(int address, int port, Check check) {
    private static final long PHASE_SEED = 0x5667772d68656c74L; // "Vgw-helt"

    public Target {
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " is not 1..65535");
    }

    /**
     * Where in its interval this target is probed, from a hash of address and port: the same on every LB node (with
     * synchronised clocks all nodes probe a target at nearly the same moment, so their tables disagree only briefly),
     * and spread evenly over the interval across targets.
     */
    public long phaseNanos() {
        long h = Hashing.mix64(((address & 0xffffffffL) << 16 | port) ^ PHASE_SEED);
        return Long.remainderUnsigned(h, check.interval().toNanos());
    }

    /** e.g. 203.0.113.11:80 */
    public String endpoint() {
        return Ipv4.format(address) + ":" + port;
    }

    @Override
    public String toString() {
        return endpoint() + " (" + check.describe() + ")";
    }
}
