package io.vgw.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a large valid config for bench/bigconfig: SERVICES services of SERVERS servers each, one file per service,
 * every pool distinct (no two services share a Maglev table), default table size 65,537. With {@code --reweight}
 * every service's first server gets weight 50, so a diff against the plain config changes every pool.
 *
 * <p>Usage: BigConfig DIR [SERVICES [SERVERS]] [--reweight]
 */
public final class BigConfig {
    private BigConfig() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int services = args.length > 1 && !args[1].startsWith("--") ? Integer.parseInt(args[1]) : 10_000;
        int servers = args.length > 2 && !args[2].startsWith("--") ? Integer.parseInt(args[2]) : 10;
        boolean reweight = args[args.length - 1].equals("--reweight");
        write(dir, services, servers, reweight);
    }

    public static void write(Path dir, int services, int servers, boolean reweight) throws IOException {
        Files.createDirectories(dir.resolve("services"));
        Files.writeString(dir.resolve("cluster.yaml"), """
                cluster: bench
                ospf: {area: 0.0.0.0, bfd: false}
                nodes:
                  - {name: lb1, router_id: 10.255.0.1, interface: eth0, address: 100.64.1.2}
                """);
        for (int s = 0; s < services; s++) {
            StringBuilder yaml = new StringBuilder()
                    .append("service: s").append(s).append('\n')
                    // 198.18.0.0/15 (benchmarking) holds 131,072 VIPs; ports 80 and 443 double that.
                    .append("vip: ").append(ipv4(0xc6120000 + s / 2)).append('\n')
                    .append("port: ").append(s % 2 == 0 ? 80 : 443).append('\n')
                    .append("protocol: tcp\n")
                    .append("health: {type: none}\n")
                    .append("servers:\n");
            for (int r = 0; r < servers; r++) {
                // 10.0.0.0/8: every pool its own addresses, so no two services share a table.
                int weight = reweight && r == 0 ? 50 : 100;
                yaml.append("  - {address: ").append(ipv4(0x0a000001 + s * servers + r))
                        .append(", weight: ").append(weight).append("}\n");
            }
            Files.writeString(dir.resolve("services/s" + s + ".yaml"), yaml);
        }
    }

    private static String ipv4(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
    }
}
