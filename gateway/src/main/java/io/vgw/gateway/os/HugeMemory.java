package io.vgw.gateway.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Large off-heap tables on transparent huge pages. A connection table is read at random per packet: on 4 KiB pages
 * a table of a few MiB misses the TLB on almost every lookup; 2 MiB pages keep it mapped by a handful of TLB
 * entries. With THP in "madvise" mode (Debian's default) memory must ask for it before it is first touched, so this
 * maps it directly (mmap, zero-filled by the kernel), advises, and unmaps when the arena closes.
 */
@SuppressWarnings("restricted") // libc calls through FFM: the launcher enables native access
public final class HugeMemory {
    public static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MMAP = LINKER.downcallHandle(LINKER.defaultLookup().find("mmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MADVISE = LINKER.downcallHandle(LINKER.defaultLookup().find("madvise").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MUNMAP = LINKER.downcallHandle(LINKER.defaultLookup().find("munmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));

    private HugeMemory() {}

    /**
     * Zeroed memory living as long as the arena, 2 MiB aligned and advised to use huge pages (a hint: without THP
     * it is plain memory, which still works).
     */
    public static MemorySegment allocate(Arena arena, long bytes) {
        long size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        try {
            // Over-map by one huge page so an aligned start exists inside the mapping.
            long mapped = size + HUGE_PAGE;
            long raw = (long) MMAP.invokeExact(0L, mapped, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (raw == -1L) throw new OutOfMemoryError("mmap of " + mapped + " bytes failed");
            long start = (raw + HUGE_PAGE - 1) & -HUGE_PAGE;
            int ignored = (int) MADVISE.invokeExact(start, size, MADV_HUGEPAGE);
            return MemorySegment.ofAddress(start).reinterpret(bytes, arena, s -> unmap(raw, mapped));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void unmap(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(address, length);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
