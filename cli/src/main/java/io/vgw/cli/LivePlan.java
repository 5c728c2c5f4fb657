package io.vgw.cli;

import io.vgw.api.LiveConfig;
import io.vgw.config.Config;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.reconciler.apply.ControlClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a gateway runs, as a config to plan against ({@code vgw apply --dry-run}, {@code vgw diff --live}): its
 * live files from GET /v1/config, loaded like any config. A gateway with no config yet runs nothing: every service
 * of the proposed config is then new.
 */
record LivePlan(String label, Config config) {
    /** @param memo the proposed config's files were read through it: the live files they match are not read again */
    static LivePlan read(Path socket, Config proposed, ConfigLoader.Memo memo) throws IOException {
        LiveConfig live;
        try (ControlClient client = new ControlClient(socket)) {
            live = client.liveConfig();
        }
        String label = socket + " (revision " + (live.revision().isEmpty() ? "none" : live.revision()) + ")";
        if (live.files().isEmpty()) return new LivePlan(socket + " (no config yet)", new Config(proposed.cluster(), List.of()));
        ConfigLoader.Result loaded = ConfigLoader.load(label, live.files(), memo);
        if (!loaded.ok()) {
            throw new IOException("the gateway's live config does not load here (is this vgw another version?): "
                    + loaded.problems().stream().map(Problem::toString).limit(3).toList());
        }
        return new LivePlan(label, loaded.config());
    }
}
