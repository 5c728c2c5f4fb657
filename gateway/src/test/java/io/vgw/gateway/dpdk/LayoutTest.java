package io.vgw.gateway.dpdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The shim loads and its layout table has every name Layout asks for (no EAL, no root needed). The values are DPDK 22.11's
 * on x86-64; the point of the shim is that Java never relies on them, the test only checks sanity.
 */
class LayoutTest {

    @Test
    void mbufLayoutIsSane() {
        assertEquals(0, Layout.MBUF_BUF_ADDR, "buf_addr opens struct rte_mbuf");
        assertEquals(128, Mbuf.HEADROOM);
        assertTrue(Layout.MBUF_SIZEOF >= 128 && Layout.MBUF_SIZEOF % 64 == 0, "two cache lines");
        long[] fields = {Layout.MBUF_DATA_OFF, Layout.MBUF_DATA_LEN, Layout.MBUF_PKT_LEN, Layout.MBUF_NB_SEGS,
            Layout.MBUF_BUF_LEN};
        for (long offset : fields) {
            assertTrue(offset > 0 && offset < Layout.MBUF_SIZEOF, "offset " + offset);
        }
        assertEquals(2048 + 128, Mempool.DEFAULT_DATA_ROOM);
    }

    @Test
    void ethdevLayoutsAndConstantsAreSane() {
        assertTrue(Layout.ETH_CONF_RSS_HF < Layout.ETH_CONF_SIZEOF);
        assertTrue(Layout.DEV_INFO_RSS_OFFLOADS < Layout.DEV_INFO_SIZEOF);
        assertTrue(Layout.ETH_STATS_RX_NOMBUF < Layout.ETH_STATS_SIZEOF);
        assertEquals(1, Layout.ETH_MQ_RX_RSS);
        assertEquals(0, Layout.ETH_MQ_RX_NONE);
        assertTrue(Layout.ETH_RSS_IP != 0 && Layout.ETH_RSS_TCP != 0 && Layout.ETH_RSS_UDP != 0);
        assertEquals(6, Layout.ETHER_ADDR_LEN);
        assertEquals(-1, Layout.SOCKET_ID_ANY);
        assertEquals(-1, Layout.LCORE_ID_ANY);
        assertTrue(Layout.MAX_LCORE >= 2);
    }
}
