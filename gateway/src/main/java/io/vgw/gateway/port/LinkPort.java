package io.vgw.gateway.port;

import io.vgw.gateway.GatewaySettings;
import io.vgw.gateway.dpdk.Mempool;
import io.vgw.gateway.dpdk.Port;
import io.vgw.gateway.dpdk.XdpMap;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's port with its mbuf pool, opened as gateway.yaml says: {@code port.device} as written, or
 * {@code port.iface} as AF_XDP or AF_PACKET ({@code port.kind}; {@code auto} tries AF_XDP first and falls back to
 * AF_PACKET, saying why).
 *
 * <p>AF_XDP: DPDK's {@code net_af_xdp} loads vgw's XDP program ({@code vgw_xdp.bpf.c}, bundled as
 * {@value #PROGRAM}) onto the interface and binds one socket per queue into its {@code xsks_map}; the program sends
 * frames to a VIP to the socket and the rest to the kernel, and {@link XdpVips} tells it the VIPs. The PMD detaches
 * the program when the port closes, and the kernel does when the process dies (the attachment is a link the
 * process holds). Its sockets share the pool's memory as UMEM, so received frames are not copied and frames are sent
 * from where they were received; the pool needs room for each queue's fill and completion rings besides.
 */
public final class LinkPort implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LinkPort.class);
    /** The XDP program, as the gateway's jar carries it. */
    static final String PROGRAM = "/native/vgw_xdp.o";
    /** net_af_xdp's fill ring holds 2 × 2048 frames per queue, its completion ring 2048. */
    private static final int XSK_RING_FRAMES = 3 * 2048;

    private final Mempool pool;
    private final Port port;
    private final PortKind kind;
    private final String devargs;
    private final Optional<String> fallback;
    private final Optional<XdpVips> vips;

    private LinkPort(Mempool pool, Port port, PortKind kind, String devargs, Optional<String> fallback,
                     Optional<XdpVips> vips) {
        this.pool = pool;
        this.port = port;
        this.kind = kind;
        this.devargs = devargs;
        this.fallback = fallback;
        this.vips = vips;
    }

    /** Opens, configures and starts the port; throws if it cannot (after AF_PACKET too, with {@code auto}). */
    public static LinkPort open(GatewaySettings settings) {
        if (settings.iface().isEmpty()) return start(settings, PortKind.DEVICE, settings.device(), Optional.empty());
        String iface = settings.iface().get();
        return switch (settings.portKind()) {
            case AF_XDP -> afXdp(settings, iface);
            case AF_PACKET, DEVICE -> afPacket(settings, iface, Optional.empty());
            case AUTO -> {
                try {
                    yield afXdp(settings, iface);
                } catch (RuntimeException e) {
                    String why = "AF_XDP is unavailable on " + iface + ": " + e.getMessage();
                    LOG.warn("{}; using AF_PACKET (set port.kind: af_packet to skip trying)", why);
                    yield afPacket(settings, iface, Optional.of(why));
                }
            }
        };
    }

    private static LinkPort afPacket(GatewaySettings settings, String iface, Optional<String> fallback) {
        return start(settings, PortKind.AF_PACKET, "net_af_packet0,iface=" + iface + ",qpairs=" + settings.queues(), fallback);
    }

    private static LinkPort afXdp(GatewaySettings settings, String iface) {
        Path program = extractProgram();
        try {
            // The PMD's busy polling (on by default) makes every empty rx poll a recvfrom(2) that runs the veth's or
            // NIC's NAPI in the worker: worth it only on a core the worker owns (workers.spin). On a shared core it
            // cost 0.2-0.4 recvfrom and about 1 us of worker CPU per packet of a lab upload (bench/labport).
            String devargs = "net_af_xdp0,iface=" + iface + ",start_queue=0,queue_count=" + settings.queues()
                    + (settings.spin() ? "" : ",busy_budget=0");
            LinkPort opened = start(settings, PortKind.AF_XDP, devargs + ",xdp_prog=" + program, Optional.empty());
            try {
                // shown without the program's file, which is gone once loaded
                return new LinkPort(opened.pool, opened.port, PortKind.AF_XDP, devargs, Optional.empty(),
                        Optional.of(new XdpVips(XdpMap.of(iface, XdpVips.MAP))));
            } catch (RuntimeException e) {
                opened.close();
                throw e;
            }
        } finally {
            // The PMD has loaded it (at the rx queue's setup): the file is not needed any more.
            try {
                Files.deleteIfExists(program);
            } catch (IOException e) {
                LOG.warn("could not delete {}: {}", program, e.getMessage());
            }
        }
    }

    /** A pool of its own per attempt: a failed AF_XDP setup may leave mbufs in its rings. */
    private static LinkPort start(GatewaySettings settings, PortKind kind, String devargs, Optional<String> fallback) {
        int queues = settings.queues();
        int descriptors = settings.descriptors() > 0 ? settings.descriptors() : kind.defaultDescriptors();
        int mbufs = settings.mbufs() > 0 ? settings.mbufs() : Mempool.sizeFor(2 * queues, descriptors, descriptors,
                queues, Mempool.DEFAULT_CACHE_SIZE)
                + (kind == PortKind.AF_XDP ? queues * XSK_RING_FRAMES : 0);
        // one name for every attempt: a failed one's pool is freed before the next is made
        Mempool pool = Mempool.create("vgw_" + settings.node(), mbufs, Mempool.DEFAULT_CACHE_SIZE,
                settings.mbufSize() > 0 ? settings.mbufSize() : Mempool.DEFAULT_DATA_ROOM);
        Port port = null;
        try {
            port = Port.attach(devargs);
            port.configure(queues, queues, descriptors, descriptors, pool);
            port.start();
            return new LinkPort(pool, port, kind, devargs, fallback, Optional.empty());
        } catch (RuntimeException e) {
            if (port != null) {
                try {
                    port.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            pool.close();
            throw e;
        }
    }

    /** The bundled XDP program in a private temporary file, for the PMD's xdp_prog=. */
    private static Path extractProgram() {
        try (InputStream in = LinkPort.class.getResourceAsStream(PROGRAM)) {
            if (in == null) throw new IllegalStateException(PROGRAM + " is missing from the gateway's jar (built from src/main/c)");
            Path file = Files.createTempFile("vgw_xdp", ".o"); // rw------- on POSIX file systems
            Files.write(file, in.readAllBytes());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the XDP program: " + e.getMessage(), e);
        }
    }

    public Mempool pool() {
        return pool;
    }

    public Port port() {
        return port;
    }

    /** AF_XDP, AF_PACKET or DEVICE: never AUTO. */
    public PortKind kind() {
        return kind;
    }

    /** The devargs the port was attached with (for AF_XDP without {@code xdp_prog=}: always vgw's program). */
    public String devargs() {
        return devargs;
    }

    /** Why AF_XDP was not used, when {@code auto} fell back to AF_PACKET. */
    public Optional<String> fallback() {
        return fallback;
    }

    /** The XDP program's VIP set (AF_XDP ports only). */
    public Optional<XdpVips> vips() {
        return vips;
    }

    /** Closes the port (the PMD detaches the XDP program), then the pool. Workers must have stopped. */
    @Override
    public void close() {
        try {
            vips.ifPresent(XdpVips::close);
            port.close();
        } finally {
            pool.close();
        }
    }
}
