/**
 * The gateway's native layer: DPDK 22.11 driven through the FFM API.
 *
 * <ul>
 *   <li>{@link io.vgw.gateway.dpdk.Eal} — {@code rte_eal_init} once per process, thread registration;</li>
 *   <li>{@link io.vgw.gateway.dpdk.Mempool} — packet-buffer pools;</li>
 *   <li>{@link io.vgw.gateway.dpdk.Port} — ethdev ports, hot-plugged vdevs, stats;</li>
 *   <li>{@link io.vgw.gateway.dpdk.Burst} — a worker's 32 mbuf slots: rx, tx, free;</li>
 *   <li>{@link io.vgw.gateway.dpdk.Mbuf} — mbuf field accessors and the unbounded
 *       {@link io.vgw.gateway.dpdk.Mbuf#MEMORY} view the packet code reads and writes through.</li>
 * </ul>
 *
 * The only C is {@code src/main/c/vgw_shim.c} (static-inline calls, rte_errno, bitfields, struct
 * layouts); {@code Shim} loads it and holds every downcall handle, {@code Layout} the offsets.
 * The JVM needs {@code --enable-native-access=ALL-UNNAMED}.
 */
package io.vgw.gateway.dpdk;
