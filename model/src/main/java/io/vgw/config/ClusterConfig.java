package io.vgw.config;

import java.time.Duration;
import java.util.List;

/**
 * The LB cluster: which nodes announce the VIPs, and how.
 *
 * @param ospfArea  dotted-quad area id
 * @param bfd       BFD on the OSPF adjacencies for sub-second failover
 * @param announce  when a node announces a VIP
 * @param bfdInterval   BFD transmit and receive interval: a dead node is detected after interval × multiplier
 * @param bfdMultiplier BFD detect multiplier
 */
public record ClusterConfig(String name, String ospfArea, boolean bfd, Announce announce, List<LbNode> nodes,
                            Duration bfdInterval, int bfdMultiplier) {
    public static final Duration DEFAULT_BFD_INTERVAL = Duration.ofMillis(100);
    public static final int DEFAULT_BFD_MULTIPLIER = 3;

    public enum Announce {
        /** while the node's gateway runs and the VIP has a healthy real server */
        HEALTHY,
        /** while the node's gateway runs, whatever the health of the pool */
        RUNNING
    }

    public ClusterConfig {
        nodes = List.copyOf(nodes.stream().sorted(java.util.Comparator.comparing(LbNode::name)).toList());
    }

    /** A cluster with the default BFD timers. */
    public ClusterConfig(String name, String ospfArea, boolean bfd, Announce announce, List<LbNode> nodes) {
        this(name, ospfArea, bfd, announce, nodes, DEFAULT_BFD_INTERVAL, DEFAULT_BFD_MULTIPLIER);
    }

    /** The node of this name, if the cluster lists it. */
    public java.util.Optional<LbNode> node(String nodeName) {
        return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst();
    }
}
