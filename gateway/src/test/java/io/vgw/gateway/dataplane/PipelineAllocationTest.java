package io.vgw.gateway.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import io.vgw.config.Config;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No allocation per packet: bursts run as a worker runs them (the prefetch pass, then each frame) while the JVM
 * counts the bytes this thread allocates. After a warm-up (so the JIT has compiled the loop), a million packets may
 * not allocate a byte each on average: one allocation per packet would be at least 16.
 */
class PipelineAllocationTest {
    private static final int BURST = 32;
    private static final int SLOT = 256;
    private static final int HEADROOM = 128;
    private static final int FLOWS = 4096;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"established", "new"})
    void aBurstLoopAllocatesNothingPerPacket(String traffic) {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported());
        Config config = TestWorld.config();
        boolean syn = traffic.equals("new");
        byte[][] frames = new byte[FLOWS][];
        for (int i = 0; i < FLOWS; i++) {
            frames[i] = Frames.tcp(TestWorld.CLIENT + (i >>> 12), 1024 + (i & 0xfff), TestWorld.WEB, 80,
                    syn ? Frames.SYN : Frames.ACK);
        }
        try (ConnTable conns = new ConnTable(syn ? 1024 : 1 << 16); Arena arena = Arena.ofConfined()) {
            Pipeline pipeline = TestWorld.pipeline(config, conns);
            ForwardingState state = TestWorld.state(config);
            MemorySegment buffer = arena.allocate((long) SLOT * BURST, 64);
            long[] addresses = new long[BURST];
            int[] lengths = new int[BURST];
            long[] hashes = new long[BURST];
            int[] run = new int[1];
            Runnable bursts = () -> {
                for (int b = 0; b < 1_000_000 / BURST; b++) {
                    pipeline.begin(state, TestWorld.NOW + (b >>> 12));
                    for (int k = 0; k < BURST; k++) {
                        byte[] frame = frames[run[0]++ & (FLOWS - 1)];
                        MemorySegment.copy(frame, 0, buffer, ValueLayout.JAVA_BYTE, (long) k * SLOT + HEADROOM, frame.length);
                        addresses[k] = buffer.address() + (long) k * SLOT + HEADROOM;
                        lengths[k] = frame.length;
                    }
                    pipeline.prefetch(addresses, lengths, hashes, BURST);
                    for (int k = 0; k < BURST; k++) {
                        int verdict = pipeline.process(buffer.address() + (long) k * SLOT + HEADROOM,
                                frames[0].length, HEADROOM, hashes[k]);
                        if (verdict != Pipeline.TX) throw new AssertionError("not forwarded: " + verdict);
                    }
                }
            };
            bursts.run(); // warm-up: the JIT compiles the loop
            bursts.run();
            long before = threads.getCurrentThreadAllocatedBytes();
            bursts.run();
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 1_000_000, allocated + " bytes allocated for 1,000,000 packets");
            assertEquals(syn ? 0 : FLOWS, pipeline.counters()[Counter.CONN_MISS_MID.ordinal()],
                    "an ACK misses only the first time its flow is seen");
        }
    }
}
