package io.vgw.gateway.dpdk;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Frames through a hot-plugged net_pcap port, rewritten through {@link Mbuf#MEMORY}. */
class PcapRoundTripTest {

    private static final MemorySegment MEM = Mbuf.MEMORY;

    @TempDir
    Path dir;

    @BeforeAll
    static void eal() {
        DpdkTestSupport.eal();
    }

    @Test
    void swapsMacsInEveryFrame() throws Exception {
        List<byte[]> input = List.of(
                Pcap.frame(1, 11, 60, 0),
                Pcap.frame(2, 12, 64, 1),
                Pcap.frame(3, 13, 98, 2),
                Pcap.frame(4, 14, 1514, 3),
                Pcap.frame(5, 15, 60, 4));

        List<byte[]> output = PcapPorts.roundTrip(dir, input, (m, index) -> {
            assertEquals(1, Mbuf.segments(m));
            assertEquals(input.get(index).length, Mbuf.dataLen(m));
            assertEquals(input.get(index).length, Mbuf.pktLen(m));
            assertEquals(Mbuf.HEADROOM, Mbuf.headroom(m));
            // swap the 6-byte MACs as a 4-byte + a 2-byte word each
            long d = Mbuf.data(m);
            int dst4 = MEM.get(JAVA_INT_UNALIGNED, d);
            short dst2 = MEM.get(JAVA_SHORT_UNALIGNED, d + 4);
            MEM.set(JAVA_INT_UNALIGNED, d, MEM.get(JAVA_INT_UNALIGNED, d + 6));
            MEM.set(JAVA_SHORT_UNALIGNED, d + 4, MEM.get(JAVA_SHORT_UNALIGNED, d + 10));
            MEM.set(JAVA_INT_UNALIGNED, d + 6, dst4);
            MEM.set(JAVA_SHORT_UNALIGNED, d + 10, dst2);
        });

        assertEquals(input.size(), output.size());
        for (int i = 0; i < input.size(); i++) {
            byte[] expected = input.get(i).clone();
            System.arraycopy(input.get(i), 6, expected, 0, 6);
            System.arraycopy(input.get(i), 0, expected, 6, 6);
            assertArrayEquals(expected, output.get(i), "frame " + i);
        }
    }

    @Test
    void prependsInTheHeadroomAndTrims() throws Exception {
        byte[] header = new byte[20];
        for (int i = 0; i < header.length; i++) {
            header[i] = (byte) (0xa0 + i);
        }
        List<byte[]> input = List.of(Pcap.frame(1, 2, 100, 7), Pcap.frame(3, 4, 80, 9));

        List<byte[]> output = PcapPorts.roundTrip(dir, input, (m, index) -> {
            int length = Mbuf.dataLen(m);
            if (index == 0) {
                // more than the headroom: refused, nothing changes
                assertFalse(Mbuf.reframe(m, Mbuf.headroom(m) + 1, length + Mbuf.headroom(m) + 1));
                assertEquals(Mbuf.HEADROOM, Mbuf.dataOff(m));
                assertEquals(length, Mbuf.dataLen(m));

                long before = Mbuf.data(m);
                assertTrue(Mbuf.reframe(m, header.length, length + header.length));
                assertEquals(before - header.length, Mbuf.data(m));
                assertEquals(Mbuf.HEADROOM - header.length, Mbuf.headroom(m));
                assertEquals(length + header.length, Mbuf.dataLen(m));
                assertEquals(length + header.length, Mbuf.pktLen(m));
                MemorySegment.copy(header, 0, MEM, JAVA_BYTE, Mbuf.data(m), header.length);
            } else {
                int tailroom = Mbuf.tailroom(m);
                assertFalse(Mbuf.reframe(m, 0, -1));
                assertFalse(Mbuf.reframe(m, 0, length + tailroom + 1));
                assertTrue(Mbuf.reframe(m, 0, length - 4));
                assertEquals(length - 4, Mbuf.pktLen(m));
                assertEquals(tailroom + 4, Mbuf.tailroom(m));
            }
        });

        assertEquals(2, output.size());
        byte[] grown = output.get(0);
        assertEquals(input.get(0).length + 20, grown.length, "the frame grew by 20 bytes");
        assertArrayEquals(header, Arrays.copyOfRange(grown, 0, 20), "the new bytes come first");
        assertArrayEquals(input.get(0), Arrays.copyOfRange(grown, 20, grown.length), "then the original frame");
        assertArrayEquals(Arrays.copyOf(input.get(1), input.get(1).length - 4), output.get(1), "trimmed by 4");
    }

    @Test
    void sendsAnMbufItAllocated() throws Exception {
        Mempool pool = DpdkTestSupport.pool();
        String name = DpdkTestSupport.uniqueName("net_pcap");
        Path in = dir.resolve(name + "-in.pcap");
        Path out = dir.resolve(name + "-out.pcap");
        Pcap.write(in, List.of()); // nothing to receive
        byte[] frame = Pcap.frame(9, 8, 64, 5);
        try (Port port = Port.attach(name + ",rx_pcap=" + in + ",tx_pcap=" + out);
             Burst burst = new Burst()) {
            port.configure(1, 1, 256, 256, pool);
            port.start();
            assertEquals(0, burst.rx(port.id(), 0));

            long m = pool.alloc();
            assertTrue(m != 0, "pool empty");
            assertEquals(0, Mbuf.dataLen(m));
            assertEquals(Mbuf.HEADROOM, Mbuf.headroom(m));
            assertEquals(1, Mbuf.segments(m));
            assertTrue(Mbuf.reframe(m, 0, frame.length));
            MemorySegment.copy(frame, 0, MEM, JAVA_BYTE, Mbuf.data(m), frame.length);
            assertArrayEquals(frame, Mbuf.toArray(m));
            burst.set(new long[] {m}, 1);
            assertEquals(1, burst.txOrFree(port.id(), 0, 1));
        }
        assertEquals(1, Pcap.read(out).size());
        assertArrayEquals(frame, Pcap.read(out).get(0));
    }
}
