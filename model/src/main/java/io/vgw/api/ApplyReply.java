package io.vgw.api;

import io.vgw.config.load.Problem;
import java.util.List;

/**
 * The gateway's answer to PUT /v1/config:
 * <pre>
 * 200 {"applied": true,  "unchanged": false, "revision", "generation": new}
 * 200 {"applied": true,  "unchanged": true,  ...}    this revision with these files already runs: nothing was bumped
 * 422 {"applied": false, "revision", "generation": live, "problems": [{"file","line","column","field","message"}]}
 * 409 {"applied": false, "revision", "generation": live, "refused": ["why, in words"]}
 * </pre>
 *
 * @param generation the new generation when applied, else the live one (unchanged)
 * @param problems   the config's problems, located in its files (the gateway's own validation: 422)
 * @param refused    why the gateway refused a valid config (409): this node is not in the cluster, too many
 *                   services removed without force, ...
 */
public record ApplyReply(boolean applied, boolean unchanged, String revision, long generation, List<Problem> problems,
                         List<String> refused) {
    public ApplyReply {
        problems = problems == null ? List.of() : List.copyOf(problems);
        refused = refused == null ? List.of() : List.copyOf(refused);
    }

    public static ApplyReply applied(String revision, long generation, boolean unchanged) {
        return new ApplyReply(true, unchanged, revision, generation, List.of(), List.of());
    }

    public static ApplyReply invalid(String revision, long liveGeneration, List<Problem> problems) {
        return new ApplyReply(false, false, revision, liveGeneration, problems, List.of());
    }

    public static ApplyReply refused(String revision, long liveGeneration, List<String> reasons) {
        return new ApplyReply(false, false, revision, liveGeneration, List.of(), reasons);
    }

    /** The HTTP status this answer goes with. */
    public int httpStatus() {
        return applied ? 200 : problems.isEmpty() ? 409 : 422;
    }
}
