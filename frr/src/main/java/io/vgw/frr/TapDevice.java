package io.vgw.frr;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * A TAP device that exists only while this process holds it open: {@code /dev/net/tun} opened through FFM,
 * {@code ioctl(TUNSETIFF)} with {@code IFF_TAP | IFF_NO_PI} and never {@code TUNSETPERSIST}. When the process dies
 * however it dies (kill -9, OOM, crash), the kernel closes the descriptor, deletes the device and every address on
 * it. That is what makes announcements fail closed: the announced VIPs are addresses on this device.
 *
 * <p>Nothing is ever read from or written to the device; it is only an anchor for the VIP addresses.
 */
@SuppressWarnings("restricted") // libc calls through FFM: the launcher enables native access
public final class TapDevice implements AutoCloseable {
    /** _IOW('T', 202, int) */
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_NO_PI = 0x1000;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    /** struct ifreq: char ifr_name[IFNAMSIZ = 16], then a union whose first member for TUNSETIFF is short ifr_flags. */
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;
    private static final int EBUSY = 16;
    private static final int EPERM = 1;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO = Linker.Option.captureStateLayout()
            .varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            ERRNO_OPTION);
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final String name;
    private int fd;

    private TapDevice(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /**
     * Creates the device in the calling thread's network namespace.
     *
     * @throws IllegalStateException with what to do when the name is taken, the caller lacks CAP_NET_ADMIN, ...
     */
    public static TapDevice open(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length == 0 || bytes.length >= IFNAMSIZ || !name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("'" + name + "' is not a usable interface name (1-15 of A-Z a-z 0-9 _ . -)");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
            int fd = (int) OPEN.invokeExact(errno, arena.allocateFrom("/dev/net/tun"), O_RDWR | O_CLOEXEC);
            if (fd < 0) throw new IllegalStateException("cannot open /dev/net/tun: errno " + (int) ERRNO.get(errno, 0L)
                    + " (the announcer needs the tun driver and CAP_NET_ADMIN)");
            MemorySegment ifreq = arena.allocate(IFREQ_SIZE);
            MemorySegment.copy(bytes, 0, ifreq, ValueLayout.JAVA_BYTE, 0, bytes.length);
            ifreq.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI));
            int rc = (int) IOCTL.invokeExact(errno, fd, TUNSETIFF, ifreq);
            if (rc < 0) {
                int e = (int) ERRNO.get(errno, 0L);
                int ignored = (int) CLOSE.invokeExact(fd);
                throw new IllegalStateException("cannot create TAP device " + name + ": errno " + e + switch (e) {
                    case EBUSY -> " (the name is in use: another gateway holds it, or a device of that name exists; "
                            + "`ip link show " + name + "`)";
                    case EPERM -> " (needs CAP_NET_ADMIN: run as root or give the service that capability)";
                    default -> "";
                });
            }
            return new TapDevice(name, fd);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public String name() {
        return name;
    }

    public synchronized boolean isOpen() {
        return fd >= 0;
    }

    /** Closes the descriptor: the kernel deletes the device and its addresses (what a crash does too). */
    @Override
    public synchronized void close() {
        if (fd < 0) return;
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            fd = -1;
        }
    }
}
