package io.vgw.frr;

import io.vgw.config.Ipv4;
import java.util.List;

/**
 * VIPs as /32 addresses on the announcer's TAP device, through {@code ip} argv lists. ospfd runs on the device for
 * the config's VIPs ({@code ip ospf area A VIP}, passive), so an address there is a stub link in this node's
 * router-LSA: the router learns it by SPF, and loses it by SPF as soon as the node's adjacency drops.
 *
 * <p>An address makes the kernel answer for the VIP (a TCP RST to a flow whose frames it also sees, as with
 * AF_PACKET), so announcing deletes the kernel's local route for it again, in the same {@code ip -batch} run:
 * microseconds apart, long before the router has heard of the VIP. The kernel adds local routes only when an
 * address is added or its device comes up, and the device is up before the first address.
 */
public final class VipAddresses implements Announcer.Routes {
    private final String device;

    /** Sets the device up (a TAP held open has carrier, so ospfd takes its addresses). */
    public VipAddresses(TapDevice tap) {
        this.device = tap.name();
        run(null, null, "link", "set", "dev", device, "up");
    }

    /** Idempotent: the address replaced, the local route flushed whether it is there or not. */
    @Override
    public void announce(int vip) {
        String prefix = Ipv4.format(vip) + "/32";
        String commands = "address replace " + prefix + " dev " + device + "\n"
                + "route flush table local " + prefix + " dev " + device + "\n";
        run("ip -4 -batch: " + commands.strip().replace("\n", "; "), commands, "-4", "-batch", "-");
    }

    @Override
    public void withdraw(int vip) {
        run(null, null, "-4", "address", "del", Ipv4.format(vip) + "/32", "dev", device);
    }

    /**
     * Runs ip with {@code input} on its standard input (null: none); a failure names {@code what} ran (null: the
     * command line) and what ip said.
     */
    private static void run(String what, String input, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Vtysh.Result r = Vtysh.run(command, input);
        if (r.code() != 0) {
            throw new IllegalStateException((what == null ? String.join(" ", command) : what) + ": " + r.output().strip());
        }
    }
}
