package io.vgw.gateway.route;

import java.util.Map;
import java.util.Set;

/** Where to send a packet for a real server on this node's link: the next hop's MAC per server address. */
public interface NextHops {
    /**
     * Resolves every address; unresolved ones map to 0 (their packets are dropped and counted until they resolve).
     * May take a while (it may ask the kernel), so it runs on the control thread, never per packet.
     */
    Map<Integer, Long> resolve(Set<Integer> addresses);

    /** One MAC for every server: benchmarks and tests without a kernel route table. */
    static NextHops fixed(long mac) {
        return addresses -> {
            Map<Integer, Long> macs = new java.util.HashMap<>();
            for (int a : addresses) macs.put(a, mac);
            return macs;
        };
    }

    /** "02:00:00:00:00:fe" → its 48 bits in a long. */
    static long parseMac(String text) {
        String[] parts = text.split(":");
        if (parts.length != 6) throw new IllegalArgumentException("'" + text + "' is not a MAC address");
        long mac = 0;
        for (String p : parts) mac = mac << 8 | Integer.parseInt(p, 16);
        return mac;
    }

    static String formatMac(long mac) {
        StringBuilder s = new StringBuilder();
        for (int shift = 40; shift >= 0; shift -= 8) {
            if (s.length() > 0) s.append(':');
            s.append(String.format("%02x", (mac >>> shift) & 0xff));
        }
        return s.toString();
    }
}
