package io.vgw.config;

import java.time.Duration;

/**
 * Idle timeouts of connection-table entries, LVS's defaults unless a service overrides them.
 *
 * @param tcp    established TCP (LVS: 900 s)
 * @param tcpFin after a FIN or RST from the client (LVS: 120 s)
 * @param tcpSyn after a SYN only (LVS: 60 s)
 * @param udp    UDP (LVS: 300 s)
 */
public record Timeouts(Duration tcp, Duration tcpFin, Duration tcpSyn, Duration udp) {
    public static final Timeouts LVS = new Timeouts(
            Duration.ofSeconds(900), Duration.ofSeconds(120), Duration.ofSeconds(60), Duration.ofSeconds(300));
}
