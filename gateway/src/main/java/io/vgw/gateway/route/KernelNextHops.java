package io.vgw.gateway.route;

import io.vgw.config.Ipv4;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Next hops from this node's own kernel tables, as `ip -j -4 route` and `ip -j -4 neigh` print them, so routing
 * changes (a new gateway, a re-cabled link) reach the data plane on the next refresh without a restart.
 *
 * <p>For each server: the longest matching route out of the gateway's interface (its first next hop if it has
 * several), the gateway of that route or the server itself when on-link, then that neighbour's MAC. A neighbour the
 * kernel does not know yet is asked for: a one-byte UDP datagram to its discard port makes the kernel ARP for it, so
 * it resolves on a later refresh.
 */
public final class KernelNextHops implements NextHops {
    private static final Logger LOG = LoggerFactory.getLogger(KernelNextHops.class);
    private static final Set<String> USABLE = Set.of("REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT", "NOARP");

    private final String iface;

    /** @param iface the kernel interface the gateway's port sends on (e.g. eth0) */
    public KernelNextHops(String iface) {
        this.iface = iface;
    }

    private record Route(int prefix, int length, int gateway) {}

    @Override
    public Map<Integer, Long> resolve(Set<Integer> addresses) {
        List<Route> routes = routes(ip("-j", "-4", "route", "show", "table", "main"));
        Map<Integer, Long> neighbours = neighbours(ip("-j", "-4", "neigh", "show", "dev", iface));
        Map<Integer, Long> macs = new HashMap<>();
        for (int address : addresses) {
            Route best = null;
            for (Route r : routes) {
                int mask = r.length == 0 ? 0 : -1 << (32 - r.length);
                if ((address & mask) == r.prefix && (best == null || r.length > best.length)) best = r;
            }
            if (best == null) {
                macs.put(address, 0L);
                continue;
            }
            int hop = best.gateway != 0 ? best.gateway : address;
            Long mac = neighbours.get(hop);
            if (mac == null) solicit(hop);
            macs.put(address, mac == null ? 0L : mac);
        }
        return macs;
    }

    private List<Route> routes(JsonNode json) {
        List<Route> routes = new ArrayList<>();
        for (JsonNode r : json) {
            String dst = r.path("dst").asString("");
            int prefix;
            int length;
            if (dst.equals("default")) {
                prefix = 0;
                length = 0;
            } else {
                String[] parts = dst.split("/");
                prefix = Ipv4.parse(parts[0]);
                length = parts.length > 1 ? Integer.parseInt(parts[1]) : 32;
            }
            // A multipath route lists its hops under "nexthops"; take the first one on our interface.
            List<JsonNode> hops = new ArrayList<>();
            if (r.has("nexthops")) r.path("nexthops").forEach(hops::add);
            else hops.add(r);
            for (JsonNode hop : hops) {
                if (!iface.equals(hop.path("dev").asString(""))) continue;
                String gateway = hop.path("gateway").asString("");
                routes.add(new Route(prefix, length, gateway.isEmpty() ? 0 : Ipv4.parse(gateway)));
                break;
            }
        }
        return routes;
    }

    private static Map<Integer, Long> neighbours(JsonNode json) {
        Map<Integer, Long> macs = new HashMap<>();
        for (JsonNode n : json) {
            String lladdr = n.path("lladdr").asString("");
            boolean usable = false;
            for (JsonNode state : n.path("state")) usable |= USABLE.contains(state.asString());
            if (!lladdr.isEmpty() && usable) macs.put(Ipv4.parse(n.path("dst").asString()), NextHops.parseMac(lladdr));
        }
        return macs;
    }

    /** Makes the kernel resolve a neighbour: any packet to it does; the discard port answers nothing. */
    private void solicit(int address) {
        try (DatagramChannel channel = DatagramChannel.open()) {
            channel.send(ByteBuffer.wrap(new byte[] {0}),
                    new InetSocketAddress(InetAddress.getByName(Ipv4.format(address)), 9));
        } catch (IOException e) {
            LOG.debug("could not solicit {}: {}", Ipv4.format(address), e.toString());
        }
    }

    private static JsonNode ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + new String(out).strip());
            }
            return out.length == 0 ? JsonMapper.shared().createArrayNode() : JsonMapper.shared().readTree(out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run `ip` (package iproute2): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading routes", e);
        }
    }
}
