package io.vgw.gateway.control;

import io.vgw.api.Status;
import io.vgw.config.Config;
import io.vgw.config.load.SourceFile;
import java.util.List;

/** What the control API can ask of a gateway: the server side's only view of it. */
public interface GatewayControl {
    /** The outcome of an apply: applied with a generation, or refused with reasons (the live state unchanged). */
    record Applied(boolean applied, long generation, List<String> problems) {}

    /**
     * The live config as one snapshot: the parsed config (null before the first), its revision and source files
     * (what GET /v1/config returns, so a client can plan against what runs) and the state's generation.
     */
    record Live(Config config, String revision, long generation, List<SourceFile> files) {}

    /**
     * Applies a whole config as one atomic change, or refuses it with reasons and changes nothing.
     *
     * @param files the config's source, kept as the live files
     */
    Applied apply(Config config, String revision, List<SourceFile> files);

    Status status();

    Live live();

    /** The announcer's state (VIPs, OSPF, BFD); empty when this gateway announces nothing. */
    default java.util.Optional<io.vgw.gateway.announce.Announcing.Status> announcements() {
        return java.util.Optional.empty();
    }

    /**
     * Starts a drain in the background (withdraw every VIP, forward until the router moved the traffic, stop);
     * false when this gateway cannot drain (it announces nothing) or is draining already.
     */
    default boolean drain() {
        return false;
    }
}
