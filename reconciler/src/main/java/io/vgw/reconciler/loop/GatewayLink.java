package io.vgw.reconciler.loop;

import io.vgw.api.ApplyReply;
import io.vgw.api.ConfigRequest;
import io.vgw.api.LiveConfig;
import io.vgw.api.LiveRevision;
import io.vgw.config.load.SourceFile;
import io.vgw.reconciler.apply.ControlClient;
import java.io.IOException;
import java.util.List;

/** What the loop needs of the local gateway: what it runs, and one atomic apply. {@link ControlGateway} is the real one. */
public interface GatewayLink {
    /**
     * What the gateway runs (GET /v1/revision: the read-back and the restore watch ask it): generation 0 means it runs
     * no config (e.g. it just restarted).
     */
    LiveRevision live() throws IOException;

    /** What the gateway runs with its files (GET /v1/config): what a plan is made against. */
    LiveConfig config() throws IOException;

    ApplyReply apply(String revision, List<SourceFile> files) throws IOException;

    /** While idle: runs this side of {@link #apply} without asking the gateway anything (warms its code). */
    default void rehearseApply(String revision, List<SourceFile> files) throws IOException {
    }

    /** The gateway's control API. */
    final class ControlGateway implements GatewayLink {
        private final ControlClient client;

        public ControlGateway(ControlClient client) {
            this.client = client;
        }

        @Override
        public LiveRevision live() throws IOException {
            return client.revision();
        }

        @Override
        public LiveConfig config() throws IOException {
            return client.liveConfig();
        }

        @Override
        public ApplyReply apply(String revision, List<SourceFile> files) throws IOException {
            // No force: the gateway's own removal guard stays a second line behind the reconciler's guard rails.
            return client.apply(new ConfigRequest(revision, false, files));
        }

        @Override
        public void rehearseApply(String revision, List<SourceFile> files) throws IOException {
            client.rehearseApply(new ConfigRequest(revision, false, files));
        }
    }
}
