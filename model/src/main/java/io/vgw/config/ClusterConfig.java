package io.vgw.config;

import java.util.List;

/**
 * The LB cluster: which nodes announce the VIPs, and how.
 *
 * @param ospfArea  dotted-quad area id
 * @param bfd       BFD on the OSPF adjacencies for sub-second failover
 * @param announce  when a node announces a VIP
 */
public record ClusterConfig(String name, String ospfArea, boolean bfd, Announce announce, List<LbNode> nodes) {
    public enum Announce {
        /** while the node's gateway runs and the VIP has a healthy real server */
        HEALTHY,
        /** while the node's gateway runs, whatever the health of the pool */
        RUNNING
    }

    public ClusterConfig {
        nodes = List.copyOf(nodes.stream().sorted(java.util.Comparator.comparing(LbNode::name)).toList());
    }
}
