package io.vgw.gateway.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * systemd's notify protocol (sd_notify): one datagram to the unix socket named by {@code NOTIFY_SOCKET}, e.g.
 * {@code READY=1} or {@code WATCHDOG=1}. Through FFM because Java has no unix datagram sockets. Without
 * {@code NOTIFY_SOCKET} (not under systemd) every call does nothing.
 */
@SuppressWarnings("restricted") // libc calls through FFM: the launcher enables native access
public final class SdNotify {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    /** struct sockaddr_un: sa_family_t (2 bytes), char sun_path[108]. */
    private static final int SOCKADDR_UN = 110;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SOCKET = LINKER.downcallHandle(LINKER.defaultLookup().find("socket").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SENDTO = LINKER.downcallHandle(LINKER.defaultLookup().find("sendto").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private SdNotify() {}

    /** True when systemd listens (the unit is Type=notify). */
    public static boolean enabled() {
        return System.getenv("NOTIFY_SOCKET") != null;
    }

    /** Sends one state line; false when not under systemd or the send failed (never throws). */
    public static boolean send(String state) {
        String path = System.getenv("NOTIFY_SOCKET");
        if (path == null || path.isEmpty()) return false;
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        if (name.length >= SOCKADDR_UN - 2) return false;
        if (name[0] == '@') name[0] = 0; // an abstract socket
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(SOCKADDR_UN);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(name, 0, address, ValueLayout.JAVA_BYTE, 2, name.length);
            byte[] text = state.getBytes(StandardCharsets.UTF_8);
            MemorySegment message = arena.allocate(text.length);
            MemorySegment.copy(text, 0, message, ValueLayout.JAVA_BYTE, 0, text.length);
            int fd = (int) SOCKET.invokeExact(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) return false;
            try {
                long sent = (long) SENDTO.invokeExact(fd, message, (long) text.length, 0, address, 2 + name.length);
                return sent == text.length;
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (Throwable t) {
            return false;
        }
    }
}
