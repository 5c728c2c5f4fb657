package io.vgw.config;

/**
 * A real server's one identity within a service: its address and effective port (the server's port, else the
 * service's). Maglev hashes it, the planner matches servers by it, the gateway keys server ids, connection entries
 * and counters by it; {@link RealServer#label()} is for display only. Writing a server's default port explicitly
 * therefore changes nothing anywhere.
 */
public record ServerKey(int address, int port) implements Comparable<ServerKey> {
    /** The packed form Maglev hashes: address << 16 | port. */
    public long identity() {
        return (address & 0xffffffffL) << 16 | port;
    }

    @Override
    public int compareTo(ServerKey o) {
        return Long.compare(identity(), o.identity());
    }

    @Override
    public String toString() {
        return Ipv4.format(address) + ":" + port;
    }
}
