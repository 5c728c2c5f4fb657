package io.vgw.config;

/**
 * One load-balancer node of the cluster.
 *
 * @param routerId  OSPF router id (dotted quad)
 * @param iface     the interface the gateway and OSPF use
 * @param address   the node's own address: the outer source of its IPIP packets
 */
public record LbNode(String name, int routerId, String iface, int address) {}
