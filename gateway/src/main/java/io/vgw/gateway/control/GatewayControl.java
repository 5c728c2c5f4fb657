package io.vgw.gateway.control;

import io.vgw.config.Config;
import io.vgw.gateway.Gateway;
import io.vgw.gateway.Status;

/** What the control API can ask of a gateway: the server side's only view of it. */
public interface GatewayControl {
    /** Applies a whole config as one atomic change, or refuses it with reasons and changes nothing. */
    Gateway.Applied apply(Config config, String revision);

    Status status();

    /** The live forwarding state's generation (what a refusal leaves in place). */
    default long generation() {
        return status().generation();
    }
}
