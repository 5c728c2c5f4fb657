package io.vgw.gateway.port;

import io.vgw.gateway.dpdk.XdpMap;
import java.util.HashSet;
import java.util.Set;

/**
 * The VIPs the XDP program of an AF_XDP port sends to the gateway ({@code vgw_vips} in {@code vgw_xdp.bpf.c}).
 * {@link #set} writes only the difference to the last set, so a config change that keeps the VIPs (a reweight,
 * a health change) costs no syscall. A VIP missing from the map only means its packets go to the kernel, which
 * drops them (an LB node has no local route for a VIP and does not forward).
 */
public final class XdpVips implements AutoCloseable {
    /** The map's name in the program (BPF map names have at most 15 characters). */
    public static final String MAP = "vgw_vips";
    /** The map's max_entries in the program. */
    public static final int CAPACITY = 65536;

    private final XdpMap map;
    private Set<Integer> written = Set.of();

    XdpVips(XdpMap map) {
        this.map = map;
    }

    /**
     * Refuses more VIPs than the program's map holds: checked before a config goes live, and by {@link #set}.
     *
     * @throws IllegalStateException over {@link #CAPACITY} VIPs
     */
    public static void requireFits(Set<Integer> vips) {
        if (vips.size() > CAPACITY) {
            throw new IllegalStateException(vips.size() + " VIPs, but the AF_XDP port's XDP program steers at most "
                    + CAPACITY + "; use fewer VIPs or port.kind: af_packet");
        }
    }

    /**
     * Makes the map hold exactly these VIPs (vgw's int form).
     *
     * @throws IllegalStateException over {@link #CAPACITY} VIPs (nothing is written then)
     */
    public synchronized void set(Set<Integer> vips) {
        requireFits(vips);
        if (vips.equals(written)) return;
        Set<Integer> next = Set.copyOf(vips);
        // Add first, then remove: a VIP in both sets never leaves the map.
        for (int vip : next) if (!written.contains(vip)) map.put(vip);
        for (int vip : written) if (!next.contains(vip)) map.remove(vip);
        written = next;
    }

    /** What the kernel's map holds now (read back from it). */
    public synchronized Set<Integer> inKernel() {
        return new HashSet<>(map.keys());
    }

    @Override
    public synchronized void close() {
        map.close();
    }
}
