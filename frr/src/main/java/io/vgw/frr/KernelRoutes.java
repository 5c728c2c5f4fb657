package io.vgw.frr;

import io.vgw.config.Ipv4;
import java.util.List;

/**
 * VIP /32 routes on the announcer's TAP device, through {@code ip} argv lists. zebra sees them as kernel routes and
 * ospfd redistributes them ({@code redistribute kernel route-map VIPS}); metric 0, because zebra reads the top byte
 * of a kernel route's metric as its administrative distance.
 */
public final class KernelRoutes implements Announcer.Routes {
    private final String device;

    /** Sets the device up (a TAP held open has carrier, so routes on it are usable and zebra takes them). */
    public KernelRoutes(TapDevice tap) {
        this.device = tap.name();
        ip("link", "set", "dev", device, "up");
    }

    @Override
    public void announce(int vip) {
        ip("-4", "route", "replace", Ipv4.format(vip) + "/32", "dev", device, "metric", "0");
    }

    @Override
    public void withdraw(int vip) {
        ip("-4", "route", "del", Ipv4.format(vip) + "/32", "dev", device);
    }

    private static void ip(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Vtysh.Result r = Vtysh.run(command);
        if (r.code() != 0) throw new IllegalStateException(String.join(" ", command) + ": " + r.output().strip());
    }
}
