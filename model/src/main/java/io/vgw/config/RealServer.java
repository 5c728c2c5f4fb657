package io.vgw.config;

/**
 * One member of a service's pool.
 *
 * @param address IPv4 address the gateway encapsulates to (TUN mode: the packet keeps the VIP and port inside)
 * @param port    optional port (0 = unset); in TUN mode only health checks use it, and it is part of the identity
 * @param weight  0..65535; 0 drains the server: no new flows, existing connections stay
 */
public record RealServer(int address, int port, int weight) {
    public static final int DEFAULT_WEIGHT = 100;

    /** The server's identity in a service with this port: address and effective port (see {@link ServerKey}). */
    public ServerKey key(int servicePort) {
        return new ServerKey(address, port != 0 ? port : servicePort);
    }

    public String label() {
        return port == 0 ? Ipv4.format(address) : Ipv4.format(address) + ":" + port;
    }
}
