package io.vgw.gateway.dpdk;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

/**
 * A BPF hash map of 32-bit keys (one-byte values) used by the XDP program attached to an interface: found by the
 * map's name through the program the interface runs ({@code vgw_xdp_map_fd} in the shim, with libbpf). For an AF_XDP
 * port, whose PMD loaded and attached the program, this is how the gateway reaches the program's maps afterwards.
 * Control plane only: each call is a syscall. Keys are big-endian (network byte order), so an IPv4 address in
 * vgw's int form is the key the program compares with a packet's address as it lies in the packet.
 */
public final class XdpMap implements AutoCloseable {
    private static final ValueLayout.OfInt KEY = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
    /** More keys than any map of ours holds (vgw_vips: 65536): a bound on the listing loop. */
    private static final int MAX_KEYS = 1 << 20;
    private final String name;
    private final int fd;
    private boolean closed;

    private XdpMap(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /**
     * The map {@code name} of the XDP program attached to {@code iface}.
     *
     * @throws DpdkException ENODEV without such an interface, ENOENT when no program is attached or it has no such
     *                       map, or the kernel's error
     */
    public static XdpMap of(String iface, String name) {
        Shim.ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            int ifindex = (int) Shim.IF_NAMETOINDEX.invokeExact(arena.allocateFrom(iface));
            if (ifindex == 0) throw new DpdkException("if_nametoindex(" + iface + ")", 19 /* ENODEV */);
            int fd = (int) Shim.XDP_MAP_FD.invokeExact(ifindex, arena.allocateFrom(name));
            DpdkException.check("the XDP program's map " + name + " on " + iface, fd);
            return new XdpMap(name + "@" + iface, fd);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** Adds (or keeps) a key. */
    public synchronized void put(int key) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) Shim.BPF_MAP_UPDATE_ELEM.invokeExact(fd, arena.allocateFrom(KEY, key),
                    arena.allocateFrom(JAVA_BYTE, (byte) 1), 0L /* BPF_ANY */);
            DpdkException.check("bpf_map_update_elem(" + name + ")", rc);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** Removes a key; a key that is not there is no error. */
    public synchronized void remove(int key) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) Shim.BPF_MAP_DELETE_ELEM.invokeExact(fd, arena.allocateFrom(KEY, key));
            if (rc != -2 /* ENOENT */) DpdkException.check("bpf_map_delete_elem(" + name + ")", rc);
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    /** Every key in the map (as the kernel holds them: what a test or status reads back). */
    public synchronized Set<Integer> keys() {
        checkOpen();
        Set<Integer> keys = new HashSet<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment next = arena.allocate(JAVA_INT);
            MemorySegment previous = MemorySegment.NULL; // NULL: the first key
            while (keys.size() < MAX_KEYS) {
                int rc = (int) Shim.BPF_MAP_GET_NEXT_KEY.invokeExact(fd, previous, next);
                if (rc == -2 /* ENOENT: past the last */) return keys;
                DpdkException.check("bpf_map_get_next_key(" + name + ")", rc);
                keys.add(next.get(KEY, 0));
                key.copyFrom(next);
                previous = key;
            }
            return keys;
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException(name + " is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            int rc = (int) Shim.CLOSE.invokeExact(fd);
            assert rc == 0 : "close(" + fd + ")";
        } catch (Throwable t) {
            throw Shim.rethrow(t);
        }
    }

    @Override
    public String toString() {
        return "XdpMap[" + name + "]";
    }
}
