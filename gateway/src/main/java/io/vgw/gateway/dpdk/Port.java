package io.vgw.gateway.dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

/**
 * An ethdev port: looked up by device name, or hot-plugged from a devargs string with
 * {@link #attach}, then {@link #configure configured}, {@link #start started}, used by
 * {@link Burst#rx}/{@link Burst#tx} with its {@link #id()}, and {@link #close() closed}.
 *
 * <p>Lifecycle: configure → start → (stop → start)* → close. {@code close} stops the port,
 * closes it ({@code rte_eth_dev_close}, which also releases the port id for reuse) and, if this
 * object hot-plugged the device, removes it ({@code rte_eal_hotplug_remove("vdev", name)}) so the same
 * name can be attached again: many tests share one EAL in one JVM this way.
 *
 * <p>Control-plane calls are synchronized on the Port; the data plane uses only {@link #id()}.
 */
public final class Port implements AutoCloseable {

    private static final String VDEV_BUS = "vdev";

    private final String name;
    private final int id;
    private final boolean hotplugged;
    private boolean configured;
    private boolean started;
    private boolean closed;
    private int rxQueues;
    private int txQueues;
    private long rssHashFunctions;

    private Port(String name, int id, boolean hotplugged) {
        this.name = name;
        this.id = id;
        this.hotplugged = hotplugged;
    }

    /**
     * The port of an existing device, for example a {@code --vdev} given to the EAL.
     *
     * @throws DpdkException (ENODEV) if there is no such port
     */
    public static Port byName(String name) {
        requireEal();
        return new Port(name, portIdOf(name), false);
    }

    /**
     * Hot-plugs a virtual device ({@code rte_dev_probe}) and returns its port, for example
     * {@code attach("net_pcap_t1,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap")} or
     * {@code attach("net_null0")}. The device name is the devargs up to the first comma; it must
     * start with a driver name ({@code net_pcap}, {@code net_null}, ...) and be unique.
     * {@link #close()} removes the device again.
     *
     * @throws IllegalStateException if a port of that name exists already
     * @throws DpdkException         if the probe fails (a name that matches no driver gives EFAULT, "Bad
     *                               address", from rte_devargs_parse; a driver refusing its arguments
     *                               gives the driver's error)
     */
    public static Port attach(String devargs) {
        requireEal();
        int comma = devargs.indexOf(',');
        String name = comma < 0 ? devargs : devargs.substring(0, comma);
        if (name.isBlank()) {
            throw new IllegalArgumentException("devargs without a device name: " + devargs);
        }
        synchronized (Port.class) {
            // rte_dev_probe of an already probed device logs "Failed to attach device" but returns 0
            // (DPDK 22.11 swallows -EEXIST for the multi-process sync): check first.
            if (portExists(name)) {
                throw new IllegalStateException("device " + name + " is already attached");
            }
            return probe(devargs, name);
        }
    }

    private static Port probe(String devargs, String name) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) Shim.DEV_PROBE.invokeExact(arena.allocateFrom(devargs));
            DpdkException.check("rte_dev_probe(" + devargs + ")", rc);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        int portId;
        try {
            portId = portIdOf(name);
        } catch (DpdkException e) {
            // A device without an ethdev port (not a net_ driver): take it out again.
            removeDevice(name);
            throw e;
        }
        return new Port(name, portId, true);
    }

    /** The port id, for {@link Burst#rx} and {@link Burst#tx}. */
    public int id() {
        return id;
    }

    /** The device name, e.g. {@code net_pcap_t1}. */
    public String name() {
        return name;
    }

    /** {@code rte_eth_dev_info_get}. */
    @SuppressWarnings("restricted") // reinterpret of driver_name, a C string DPDK owns
    public synchronized Info info() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(Layout.DEV_INFO_SIZEOF, 8);
            int rc = (int) Shim.ETH_DEV_INFO_GET.invokeExact((short) id, info);
            DpdkException.check("rte_eth_dev_info_get(" + name + ")", rc);
            MemorySegment driver = info.get(ADDRESS, Layout.DEV_INFO_DRIVER_NAME);
            return new Info(
                    driver.equals(MemorySegment.NULL) ? "" : driver.reinterpret(256).getString(0),
                    u16(info, Layout.DEV_INFO_MAX_RX_QUEUES),
                    u16(info, Layout.DEV_INFO_MAX_TX_QUEUES),
                    info.get(JAVA_LONG, Layout.DEV_INFO_RSS_OFFLOADS),
                    u16(info, Layout.DEV_INFO_MIN_MTU),
                    u16(info, Layout.DEV_INFO_MAX_MTU));
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /**
     * {@code rte_eth_dev_configure} plus the queue setups. With more than one rx queue it enables
     * RSS ({@code RTE_ETH_MQ_RX_RSS}) on IP, TCP and UDP as far as the port supports them
     * ({@code flow_type_rss_offloads}), with the driver's default key.
     *
     * @param rxQueues      rx queues (one per worker, typically)
     * @param txQueues      tx queues
     * @param rxDescriptors ring size of each rx queue (e.g. 1024)
     * @param txDescriptors ring size of each tx queue
     * @param pool          where rx queues take their mbufs
     */
    public synchronized void configure(int rxQueues, int txQueues, int rxDescriptors, int txDescriptors,
                                       Mempool pool) {
        checkOpen();
        if (started) {
            throw new IllegalStateException("port " + name + " is started: stop it before configuring");
        }
        Info info = info();
        if (rxQueues < 1 || rxQueues > info.maxRxQueues() || txQueues < 1 || txQueues > info.maxTxQueues()) {
            throw new IllegalArgumentException("port " + name + ": " + rxQueues + " rx / " + txQueues
                    + " tx queues requested, driver " + info.driver() + " allows " + info.maxRxQueues() + " / "
                    + info.maxTxQueues());
        }
        long rssHf = 0;
        if (rxQueues > 1) {
            rssHf = (Layout.ETH_RSS_IP | Layout.ETH_RSS_TCP | Layout.ETH_RSS_UDP) & info.rssOffloads();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment conf = arena.allocate(Layout.ETH_CONF_SIZEOF, 8); // zeroed: defaults everywhere
            conf.set(JAVA_INT, Layout.ETH_CONF_RX_MQ_MODE, rssHf != 0 ? Layout.ETH_MQ_RX_RSS : Layout.ETH_MQ_RX_NONE);
            conf.set(ADDRESS, Layout.ETH_CONF_RSS_KEY, MemorySegment.NULL); // the driver's default key
            conf.set(JAVA_BYTE, Layout.ETH_CONF_RSS_KEY_LEN, (byte) 0);
            conf.set(JAVA_LONG, Layout.ETH_CONF_RSS_HF, rssHf);
            // rxmode.mtu stays 0: the driver's default MTU (RTE_ETHER_MTU); see setMtu.
            int rc = (int) Shim.ETH_DEV_CONFIGURE.invokeExact((short) id, (short) rxQueues, (short) txQueues, conf);
            DpdkException.check("rte_eth_dev_configure(" + name + ", " + rxQueues + " rx, " + txQueues
                    + " tx, rss_hf=0x" + Long.toHexString(rssHf) + ")", rc);
            int socket = (int) Shim.ETH_DEV_SOCKET_ID.invokeExact((short) id);
            MemorySegment mp = pool.segment();
            for (int q = 0; q < rxQueues; q++) {
                rc = (int) Shim.ETH_RX_QUEUE_SETUP.invokeExact((short) id, (short) q, (short) rxDescriptors, socket,
                        MemorySegment.NULL, mp);
                DpdkException.check("rte_eth_rx_queue_setup(" + name + ", queue " + q + ")", rc);
            }
            for (int q = 0; q < txQueues; q++) {
                rc = (int) Shim.ETH_TX_QUEUE_SETUP.invokeExact((short) id, (short) q, (short) txDescriptors, socket,
                        MemorySegment.NULL);
                DpdkException.check("rte_eth_tx_queue_setup(" + name + ", queue " + q + ")", rc);
            }
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        this.rxQueues = rxQueues;
        this.txQueues = txQueues;
        this.rssHashFunctions = rssHf;
        this.configured = true;
    }

    /** {@code rte_eth_dev_start}. */
    public synchronized void start() {
        checkOpen();
        if (!configured) {
            throw new IllegalStateException("port " + name + " is not configured");
        }
        if (started) {
            return;
        }
        call("rte_eth_dev_start", Shim.ETH_DEV_START);
        started = true;
    }

    /** {@code rte_eth_dev_stop}; workers must have stopped polling it. */
    public synchronized void stop() {
        checkOpen();
        if (!started) {
            return;
        }
        started = false;
        call("rte_eth_dev_stop", Shim.ETH_DEV_STOP);
    }

    /** {@code rte_eth_promiscuous_enable}. */
    public synchronized void enablePromiscuous() {
        checkOpen();
        call("rte_eth_promiscuous_enable", Shim.ETH_PROMISCUOUS_ENABLE);
    }

    /** {@code rte_eth_macaddr_get}: the 6 bytes of the port's MAC address. */
    public synchronized byte[] macAddress() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mac = arena.allocate(Layout.ETHER_ADDR_LEN);
            int rc = (int) Shim.ETH_MACADDR_GET.invokeExact((short) id, mac);
            DpdkException.check("rte_eth_macaddr_get(" + name + ")", rc);
            return mac.toArray(JAVA_BYTE);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** The MAC address as {@code 02:00:00:00:00:01}. */
    public String macAddressString() {
        return HexFormat.ofDelimiter(":").formatHex(macAddress());
    }

    /** {@code rte_eth_dev_get_mtu}. */
    public synchronized int mtu() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mtu = arena.allocate(JAVA_SHORT);
            int rc = (int) Shim.ETH_DEV_GET_MTU.invokeExact((short) id, mtu);
            DpdkException.check("rte_eth_dev_get_mtu(" + name + ")", rc);
            return Short.toUnsignedInt(mtu.get(JAVA_SHORT, 0));
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** {@code rte_eth_dev_set_mtu}; ENOTSUP from drivers that cannot (net_null, net_pcap). */
    public synchronized void setMtu(int mtu) {
        checkOpen();
        try {
            int rc = (int) Shim.ETH_DEV_SET_MTU.invokeExact((short) id, (short) mtu);
            DpdkException.check("rte_eth_dev_set_mtu(" + name + ", " + mtu + ")", rc);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** {@code rte_eth_link_get_nowait}. */
    public synchronized Link link() {
        checkOpen();
        long packed;
        try {
            packed = (long) Shim.LINK_GET_NOWAIT.invokeExact((short) id);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        DpdkException.check("rte_eth_link_get_nowait(" + name + ")", packed < 0 ? (int) packed : 0);
        // vgw_link_get_nowait: bits 0..31 speed, 32 status, 33 duplex, 34 autoneg
        return new Link((int) packed, (packed >>> 32 & 1) != 0, (packed >>> 33 & 1) != 0, (packed >>> 34 & 1) != 0);
    }

    /** {@code rte_eth_stats_get}. */
    public synchronized Stats stats() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Layout.ETH_STATS_SIZEOF, 8);
            int rc = (int) Shim.ETH_STATS_GET.invokeExact((short) id, s);
            DpdkException.check("rte_eth_stats_get(" + name + ")", rc);
            return new Stats(
                    s.get(JAVA_LONG, Layout.ETH_STATS_IPACKETS),
                    s.get(JAVA_LONG, Layout.ETH_STATS_OPACKETS),
                    s.get(JAVA_LONG, Layout.ETH_STATS_IBYTES),
                    s.get(JAVA_LONG, Layout.ETH_STATS_OBYTES),
                    s.get(JAVA_LONG, Layout.ETH_STATS_IMISSED),
                    s.get(JAVA_LONG, Layout.ETH_STATS_IERRORS),
                    s.get(JAVA_LONG, Layout.ETH_STATS_OERRORS),
                    s.get(JAVA_LONG, Layout.ETH_STATS_RX_NOMBUF));
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** {@code rte_eth_stats_reset}. */
    public synchronized void resetStats() {
        checkOpen();
        call("rte_eth_stats_reset", Shim.ETH_STATS_RESET);
    }

    public synchronized int rxQueues() {
        return rxQueues;
    }

    public synchronized int txQueues() {
        return txQueues;
    }

    /** The RTE_ETH_RSS_* functions enabled by {@link #configure}; 0 if RSS is off. */
    public synchronized long rssHashFunctions() {
        return rssHashFunctions;
    }

    public synchronized boolean isStarted() {
        return started;
    }

    /**
     * Stops and closes the port ({@code rte_eth_dev_stop}, {@code rte_eth_dev_close}) and, if it was
     * {@linkplain #attach attached}, removes the device ({@code rte_eal_hotplug_remove}). For a
     * net_pcap port this is what flushes and closes its {@code tx_pcap} file. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        DpdkException first = null;
        try {
            stop();
        } catch (DpdkException e) {
            first = e;
        }
        closed = true;
        try {
            int rc = (int) Shim.ETH_DEV_CLOSE.invokeExact((short) id);
            DpdkException.check("rte_eth_dev_close(" + name + ")", rc);
        } catch (DpdkException e) {
            first = first == null ? e : first;
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
        if (hotplugged) {
            try {
                removeDevice(name);
            } catch (DpdkException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "Port[" + name + ", id " + id + "]";
    }

    private void call(String function, java.lang.invoke.MethodHandle handle) {
        try {
            int rc = (int) handle.invokeExact((short) id);
            DpdkException.check(function + "(" + name + ")", rc);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("port " + name + " is closed");
        }
    }

    private static int u16(MemorySegment s, long offset) {
        return Short.toUnsignedInt(s.get(JAVA_SHORT, offset));
    }

    private static boolean portExists(String name) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) Shim.ETH_GET_PORT_BY_NAME.invokeExact(arena.allocateFrom(name), arena.allocate(JAVA_SHORT));
            return rc == 0;
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    private static int portIdOf(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment portId = arena.allocate(JAVA_SHORT);
            int rc = (int) Shim.ETH_GET_PORT_BY_NAME.invokeExact(arena.allocateFrom(name), portId);
            DpdkException.check("rte_eth_dev_get_port_by_name(" + name + ")", rc);
            return Short.toUnsignedInt(portId.get(JAVA_SHORT, 0));
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    private static void removeDevice(String name) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) Shim.HOTPLUG_REMOVE.invokeExact(arena.allocateFrom(VDEV_BUS), arena.allocateFrom(name));
            DpdkException.check("rte_eal_hotplug_remove(vdev, " + name + ")", rc);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    private static void requireEal() {
        if (Eal.current().isEmpty()) {
            throw new IllegalStateException("initialize the EAL (Eal.init) first");
        }
    }

    /**
     * From {@code struct rte_eth_dev_info}.
     *
     * @param driver      {@code driver_name}, e.g. {@code net_pcap}
     * @param rssOffloads {@code flow_type_rss_offloads}: the RTE_ETH_RSS_* the port can hash on
     */
    public record Info(String driver, int maxRxQueues, int maxTxQueues, long rssOffloads, int minMtu, int maxMtu) {
    }

    /** From {@code struct rte_eth_link} (bitfields decoded by the shim). */
    public record Link(int speedMbps, boolean up, boolean fullDuplex, boolean autoneg) {
    }

    /** From {@code struct rte_eth_stats}: the basic per-port counters. */
    public record Stats(long ipackets, long opackets, long ibytes, long obytes, long imissed, long ierrors,
                        long oerrors, long rxNombuf) {
    }
}
