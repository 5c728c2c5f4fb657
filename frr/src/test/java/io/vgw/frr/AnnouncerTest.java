package io.vgw.frr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Ipv4;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AnnouncerTest {
    private static final int A = Ipv4.parse("192.0.2.10");
    private static final int B = Ipv4.parse("192.0.2.20");

    private final List<String> calls = new ArrayList<>();
    private long now;
    private final Announcer.Routes routes = new Announcer.Routes() {
        @Override
        public void announce(int vip) {
            calls.add("+" + Ipv4.format(vip));
        }

        @Override
        public void withdraw(int vip) {
            calls.add("-" + Ipv4.format(vip));
        }
    };
    private final Announcer announcer = new Announcer(routes, Duration.ofSeconds(5), () -> now);

    @Test
    void announcesConfiguredVipsAtOnceAndNothingTwice() {
        announcer.vips(Map.of(A, true, B, true));
        announcer.reconcile();
        announcer.vips(Map.of(A, true, B, true));
        assertEquals(List.of("+192.0.2.10", "+192.0.2.20"), calls);
        assertTrue(announcer.status().stream().allMatch(Announcer.VipState::announced));
    }

    @Test
    void withdrawsAtOnceAndReannouncesOnlyAfterAHoldDownOfGoodHealth() {
        announcer.vips(Map.of(A, true));
        announcer.healthy(A, false);
        assertEquals(List.of("+192.0.2.10", "-192.0.2.10"), calls);
        assertEquals("no healthy server", announcer.status().getFirst().reason());
        now += Duration.ofSeconds(10).toNanos();
        announcer.healthy(A, true);
        now += Duration.ofSeconds(4).toNanos();
        announcer.reconcile();
        assertEquals(2, calls.size(), "still in hold-down");
        assertEquals("hold-down, 1000 ms left", announcer.status().getFirst().reason());
        announcer.healthy(A, false); // flaps: the hold-down starts again when it is good again
        announcer.healthy(A, true);
        now += Duration.ofSeconds(4).toNanos();
        announcer.reconcile();
        assertEquals(2, calls.size(), "a flap during the hold-down restarts it");
        now += Duration.ofSeconds(1).toNanos();
        announcer.reconcile();
        assertEquals(List.of("+192.0.2.10", "-192.0.2.10", "+192.0.2.10"), calls);
    }

    @Test
    void aStalledGatewayWithdrawsEverythingAndComesBackAfterTheHoldDown() {
        announcer.vips(Map.of(A, true, B, true));
        announcer.forwarding(false);
        assertEquals(List.of("+192.0.2.10", "+192.0.2.20", "-192.0.2.10", "-192.0.2.20"), calls);
        assertEquals("gateway not forwarding (watchdog)", announcer.status().getFirst().reason());
        announcer.forwarding(true);
        announcer.reconcile();
        assertEquals(4, calls.size());
        now += Duration.ofSeconds(5).toNanos();
        announcer.reconcile();
        assertEquals(6, calls.size());
    }

    @Test
    void drainWithdrawsForGood() {
        announcer.vips(Map.of(A, true));
        announcer.drain();
        now += Duration.ofMinutes(1).toNanos();
        announcer.reconcile();
        announcer.vips(Map.of(A, true, B, true));
        assertEquals(List.of("+192.0.2.10", "-192.0.2.10"), calls);
        assertTrue(announcer.draining());
        assertEquals("draining", announcer.status().getLast().reason());
    }

    @Test
    void aVipRemovedFromTheConfigIsWithdrawnAndForgotten() {
        announcer.vips(Map.of(A, true, B, true));
        announcer.vips(Map.of(B, true));
        assertEquals(List.of("+192.0.2.10", "+192.0.2.20", "-192.0.2.10"), calls);
        assertEquals(1, announcer.status().size());
    }

    @Test
    void aNewVipWithNoHealthyServerIsNeverAnnounced() {
        announcer.vips(Map.of(A, false));
        assertEquals(List.of(), calls);
        assertFalse(announcer.status().getFirst().announced());
    }

    @Test
    void aFailedAnnouncementIsRetriedAndShown() {
        boolean[] fail = {true};
        Announcer flaky = new Announcer(new Announcer.Routes() {
            @Override
            public void announce(int vip) {
                if (fail[0]) throw new IllegalStateException("RTNETLINK answers: No such device");
                calls.add("+" + Ipv4.format(vip));
            }

            @Override
            public void withdraw(int vip) {
                calls.add("-" + Ipv4.format(vip));
            }
        }, Duration.ofSeconds(5), () -> now);
        flaky.vips(Map.of(A, true));
        assertEquals("error: RTNETLINK answers: No such device", flaky.status().getFirst().reason());
        fail[0] = false;
        flaky.reconcile();
        assertEquals(List.of("+192.0.2.10"), calls);
    }
}
