package io.vgw.gateway.dataplane;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Runs one frame through a {@link Pipeline} from native memory, as a worker would from an mbuf: the frame is copied
 * after {@code headroom} bytes, behind a guard zone, and everything around it is filled with a marker byte so the
 * test sees any write outside the bytes the pipeline owns (the frame, and on TX the prepended bytes).
 */
final class FrameRunner implements AutoCloseable {
    static final byte MARK = (byte) 0xa5;
    private static final int GUARD = 256;
    private static final int SIZE = GUARD + 256 + 2048 + GUARD;

    /**
     * @param output   on TX the frame as it would be sent (from {@code f - prepended}, {@code length} bytes), else null
     * @param memory   the frame's original span after processing ({@code len} bytes at {@code f})
     * @param strayWrites offsets (relative to the frame start) of bytes written outside what the pipeline owns
     */
    record Result(int verdict, byte[] output, byte[] memory, int prepended, String strayWrites) {}

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(SIZE, 64);

    Result run(Pipeline pipeline, byte[] frame, int headroom) {
        if (headroom > 256 || frame.length > 2048) throw new IllegalArgumentException("frame or headroom too large");
        buffer.fill(MARK);
        long start = GUARD + headroom;
        MemorySegment.copy(frame, 0, buffer, ValueLayout.JAVA_BYTE, start, frame.length);
        long f = buffer.address() + start;
        int verdict = pipeline.process(f, frame.length, headroom);
        byte[] output = null;
        long ownedFrom = start;
        int prepended = 0;
        if (verdict == Pipeline.TX) {
            prepended = pipeline.prepended;
            ownedFrom = start - prepended;
            output = buffer.asSlice(ownedFrom, pipeline.length).toArray(ValueLayout.JAVA_BYTE);
        }
        long ownedTo = Math.max(start + frame.length, ownedFrom + (output == null ? 0 : output.length));
        StringBuilder stray = new StringBuilder();
        for (long i = 0; i < SIZE; i++) {
            if ((i < ownedFrom || i >= ownedTo) && buffer.get(ValueLayout.JAVA_BYTE, i) != MARK) {
                if (stray.length() < 200) stray.append(i - start).append(' ');
            }
        }
        byte[] memory = buffer.asSlice(start, frame.length).toArray(ValueLayout.JAVA_BYTE);
        return new Result(verdict, output, memory, prepended, stray.toString().trim());
    }

    @Override
    public void close() {
        arena.close();
    }

    /** A hex dump, 16 bytes a line, with offsets; lines that differ from {@code other} (if given) marked with '*'. */
    static String dump(byte[] bytes, byte[] other) {
        StringBuilder s = new StringBuilder();
        for (int line = 0; line < bytes.length; line += 16) {
            int end = Math.min(bytes.length, line + 16);
            boolean differs = other != null && (other.length < end
                    || !Arrays.equals(bytes, line, end, other, line, end));
            s.append(differs ? "  * " : "    ").append(String.format("%04x ", line));
            for (int i = line; i < end; i++) s.append(String.format(" %02x", bytes[i] & 0xff));
            s.append('\n');
        }
        return s.toString();
    }

    static String hex(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(bytes);
    }
}
