package io.vgw.reconciler.loop;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import io.vgw.api.ApplyReply;
import io.vgw.api.LiveConfig;
import io.vgw.api.LiveRevision;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The gateway's contract without DPDK: validates like the real one, swaps whole, can restart or vanish. */
public final class FakeGateway implements GatewayLink {
    public volatile long generation;
    public volatile String revision;
    volatile List<SourceFile> files;
    volatile boolean down;
    /** Only GET /v1/config fails (an answer lost): applies still work. */
    volatile boolean configDown;
    final AtomicInteger applies = new AtomicInteger();

    @Override
    public synchronized LiveRevision live() throws IOException {
        if (down) throw new IOException("no gateway is listening (test)");
        return new LiveRevision(revision, generation);
    }

    @Override
    public synchronized LiveConfig config() throws IOException {
        if (down || configDown) throw new IOException("the gateway did not answer GET /v1/config (test)");
        return new LiveConfig(revision == null ? "" : revision, generation, files == null ? List.of() : files);
    }

    @Override
    public synchronized ApplyReply apply(String rev, List<SourceFile> config) throws IOException {
        if (down) throw new IOException("no gateway is listening (test)");
        applies.incrementAndGet();
        var r = ConfigLoader.load("gateway", config);
        if (!r.ok()) return ApplyReply.invalid(rev, generation, r.problems());
        generation++;
        revision = rev;
        files = config;
        return ApplyReply.applied(rev, generation, false);
    }

    /** A gateway restart: it runs nothing. */
    synchronized void restart() {
        generation = 0;
        revision = null;
        files = null;
    }
}
