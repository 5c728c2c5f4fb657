package io.vgw.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.Config;
import io.vgw.config.Ipv4;
import io.vgw.config.TestConfigs;
import io.vgw.maglev.FlowShift;
import io.vgw.maglev.ServiceTable;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PlannerTest {
    static final String WEB = """
            service: web
            vip: 192.0.2.10
            port: 80
            protocol: tcp
            health: {type: http, path: /healthz}
            servers:
              - {address: 203.0.113.11, weight: 100}
              - {address: 203.0.113.12, weight: 100}
              - {address: 203.0.113.13, weight: 50}
            """;

    static Config config(String... services) {
        return TestConfigs.config(services);
    }

    @Test
    void noChange() {
        Plan plan = Planner.plan(config(WEB), config(WEB));
        assertFalse(plan.changed());
        assertTrue(PlanText.render(plan, false).startsWith("No changes."));
    }

    /** The example pull request: reweight one server, add one. */
    @Test
    void reweightAndAdd() {
        String after = WEB.replace("203.0.113.13, weight: 50}", "203.0.113.13, weight: 100}")
                + "  - {address: 203.0.113.14, weight: 100}\n";
        Plan plan = Planner.plan(config(WEB), config(after));
        assertEquals(1, plan.services().size());
        Plan.ServiceChange web = plan.services().getFirst();
        assertEquals(Plan.Action.CHANGE, web.action());
        assertEquals(List.of(), web.fields());

        Plan.ServerChange reweighted = server(web, "203.0.113.13");
        assertEquals(Plan.Action.CHANGE, reweighted.action());
        assertEquals(50, reweighted.weightBefore());
        assertEquals(100, reweighted.weightAfter());
        assertEquals(0.2, reweighted.shareBefore(), 0.001);
        assertEquals(0.25, reweighted.shareAfter(), 0.001);
        Plan.ServerChange added = server(web, "203.0.113.14");
        assertEquals(Plan.Action.ADD, added.action());
        assertEquals(0.25, added.shareAfter(), 0.001);
        Plan.ServerChange other = server(web, "203.0.113.11");
        assertEquals(0.4, other.shareBefore(), 0.001);
        assertEquals(0.25, other.shareAfter(), 0.001);

        // At least the shares that changed hands must move: .11 and .12 each give 15 points, .13 gains 5, .14 gains 25.
        double moved = web.flows().movedShare();
        assertEquals(0.30, web.flows().minimumShare(), 0.001);
        assertTrue(moved >= 0.30 && moved < 0.36, String.format(Locale.ROOT, "moved share %.4f, at least 0.30", moved));

        String text = PlanText.render(plan, false);
        assertTrue(text.contains("~ service web  192.0.2.10:80/tcp"), text);
        assertTrue(text.contains("~ 203.0.113.13          weight 50 -> 100   share 20.0% -> 25.0%"), text);
        assertTrue(text.contains("+ 203.0.113.14          weight 100         share 0.0% -> 25.0%"), text);
        assertTrue(text.contains("flows moving to another server: " + String.format(Locale.ROOT, "%.1f%%", moved * 100)
                + " (the new shares need at least 30.0%)"), text);
        assertTrue(text.endsWith("Plan: 0 to add, 1 to change, 0 to remove.\n"), text);

        var json = PlanJson.tree(plan);
        assertTrue(json.path("changed").asBoolean());
        assertEquals(moved, json.path("services").path(0).path("flows").path("moved_share").asDouble());
        assertEquals("add", json.path("services").path(0).path("servers").path(3).path("action").asString());
    }

    /** The planner's moved share is what a simulation of many flows through both tables sees. */
    @Test
    void movedShareMatchesSimulatedFlows() {
        String after = WEB.replace("203.0.113.12, weight: 100}", "203.0.113.12, weight: 10}");
        Config a = config(WEB);
        Config b = config(after);
        double planned = Planner.plan(a, b).services().getFirst().flows().movedShare();
        ServiceTable before = ServiceTable.of(a.services().getFirst());
        ServiceTable now = ServiceTable.of(b.services().getFirst());
        SplittableRandom random = new SplittableRandom(1);
        int flows = 200_000;
        int moved = 0;
        for (int i = 0; i < flows; i++) {
            int client = random.nextInt();
            int port = random.nextInt(1024, 65536);
            if (before.serverFor(client, port, 80).address() != now.serverFor(client, port, 80).address()) moved++;
        }
        double simulated = (double) moved / flows;
        assertEquals(planned, simulated, 0.005, String.format(Locale.ROOT, "planned %.4f, simulated %.4f", planned, simulated));
    }

    @Test
    void tableResizeIsMeasuredOverTheHashSpace() {
        String bigger = WEB.replace("protocol: tcp\n", "protocol: tcp\nmaglev: {table_size: 655373}\n");
        Config a = config(WEB);
        Config b = config(bigger);
        Plan.ServiceChange web = Planner.plan(a, b).services().getFirst();
        assertEquals(List.of(new Plan.FieldChange("maglev.table_size", "65537", "655373")), web.fields());
        assertEquals(65537, web.flows().tableSizeBefore());
        assertEquals(655373, web.flows().tableSizeAfter());
        // Same servers, new permutations: most flows move, which an operator must see before merging.
        assertTrue(web.flows().movedShare() > 0.3, "resize moved " + web.flows().movedShare());
        ServiceTable t = ServiceTable.of(a.services().getFirst());
        assertEquals(0.0, FlowShift.movedShare(t, t));
    }

    @Test
    void addRemoveAndAnnouncements() {
        String api = WEB.replace("service: web", "service: api").replace("192.0.2.10", "192.0.2.20");
        Plan plan = Planner.plan(config(WEB), config(api));
        assertEquals(List.of("api", "web"), plan.services().stream().map(Plan.ServiceChange::name).toList());
        assertEquals(Plan.Action.ADD, plan.services().get(0).action());
        assertNull(plan.services().get(0).flows());
        assertEquals(Plan.Action.REMOVE, plan.services().get(1).action());
        assertEquals(List.of(new Plan.Announcement("192.0.2.10/32", Plan.Action.REMOVE),
                new Plan.Announcement("192.0.2.20/32", Plan.Action.ADD)),
                plan.announcements().stream().sorted(java.util.Comparator.comparing(Plan.Announcement::vip)).toList());
        String text = PlanText.render(plan, false);
        assertTrue(text.contains("+ 192.0.2.20/32  announce"), text);
        assertTrue(text.contains("- 192.0.2.10/32  withdraw"), text);
        assertTrue(text.endsWith("Plan: 1 to add, 0 to change, 1 to remove.\n"), text);
    }

    @Test
    void healthAndClusterChanges() {
        String slower = WEB.replace("health: {type: http, path: /healthz}", "health: {type: http, path: /ready, interval: 5s}");
        Plan plan = Planner.plan(config(WEB), config(slower));
        assertEquals(List.of(new Plan.FieldChange("health.path", "/healthz", "/ready"),
                new Plan.FieldChange("health.interval", "2s", "5s")), plan.services().getFirst().fields());
        assertEquals(0.0, plan.services().getFirst().flows().movedShare());
        assertEquals(List.of(), plan.services().getFirst().servers());
        assertEquals(Ipv4.parse("192.0.2.10"), config(WEB).services().getFirst().vip());
    }

    private static Plan.ServerChange server(Plan.ServiceChange s, String label) {
        return s.servers().stream().filter(r -> r.server().equals(label)).findFirst()
                .orElseThrow(() -> new AssertionError(label + " not in " + s.servers()));
    }
}
