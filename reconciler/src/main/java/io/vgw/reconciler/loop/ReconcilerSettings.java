package io.vgw.reconciler.loop;

import io.vgw.config.Durations;
import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.Problem;
import io.vgw.config.load.SourceFile;
import io.vgw.reconciler.git.CommitVerifier;
import io.vgw.reconciler.git.GitException;
import io.vgw.reconciler.git.RemoteSettings;
import io.vgw.reconciler.git.SignedCommits;
import io.vgw.reconciler.git.TrustSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A reconciler's node-local settings (reconcile.yaml, schemas/reconcile.schema.json) with defaults filled in.
 *
 * @param gatewaySocket empty: the only socket in /run/vgw (the CLI resolves it)
 * @param jitter        polls fall every interval, offset by a random phase up to interval × jitter (nodes apart)
 * @param maxMovedShare 0..1, per service and revision
 */
public record ReconcilerSettings(String name, RemoteSettings remote, String ref, String path,
                                 Optional<Path> gatewaySocket, Duration gatewayTimeout, Path stateDir,
                                 Duration pollInterval, double jitter, Optional<String> webhookListen,
                                 Optional<Path> webhookSecretFile, Verify verify, boolean allowHistoryRewrite,
                                 double maxMovedShare, int maxRemovedServices, Path controlSocket,
                                 Optional<String> metricsListen) {
    public String url() {
        return remote.url();
    }

    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/vgw");
    public static final Path DEFAULT_CONTROL_DIR = Path.of("/run/vgw-reconcile");

    /** Signature checks: passed to the verifier of io.vgw.reconciler.git. */
    public record Verify(String mode, Optional<Path> allowedSigners, Optional<Path> revokedKeys, Optional<Path> keyring,
                         List<String> fingerprints) {
        public boolean on() {
            return !mode.equals("off");
        }

        /** The verifier, or null when verification is off; throws when its files are missing or unsafe. */
        public CommitVerifier verifier() throws GitException {
            return switch (mode) {
                case "ssh" -> SignedCommits.of(TrustSettings.ssh(allowedSigners.orElse(null), revokedKeys.orElse(null)));
                case "openpgp" -> SignedCommits.of(TrustSettings.openpgp(keyring.orElse(null), fingerprints));
                default -> null;
            };
        }
    }

    /** Every problem of a settings file, each as file:line:column: field: message. */
    public static final class Invalid extends IllegalArgumentException {
        public final List<Problem> problems;

        Invalid(List<Problem> problems) {
            super(String.join("\n", problems.stream().map(Problem::toString).toList()));
            this.problems = problems;
        }
    }

    /** The file's schema-checked tree (to lay command-line flags over before {@link #of}). */
    public static ObjectNode read(Path file) throws IOException {
        var loaded = ConfigLoader.loadReconcileSettings(
                new SourceFile(file.toString(), ConfigLoader.decode(Files.readAllBytes(file))));
        if (!loaded.ok()) throw new Invalid(loaded.problems());
        return (ObjectNode) loaded.root();
    }

    /** @param base relative paths in the file are relative to it (the file's folder) */
    public static ReconcilerSettings of(JsonNode n, Path base) {
        String name = n.path("reconcile").asString();
        JsonNode repo = n.path("repository");
        JsonNode verify = n.path("verify");
        JsonNode guard = n.path("guard");
        return new ReconcilerSettings(
                name,
                new RemoteSettings(repo.path("url").asString(), Durations.parse(repo.path("timeout").asString("60s")),
                        path(base, repo.path("ssh").path("known_hosts")).orElse(null),
                        path(base, repo.path("ssh").path("identity_file")).orElse(null),
                        repo.path("http").path("username").asString(null),
                        path(base, repo.path("http").path("password_file")).orElse(null),
                        repo.path("max_fetch_mb").asLong(RemoteSettings.DEFAULT_MAX_FETCH >> 20) << 20),
                repo.path("ref").asString("main"),
                repo.path("path").asString(""),
                path(base, n.path("gateway").path("socket")),
                Durations.parse(n.path("gateway").path("timeout").asString("60s")),
                base.resolve(n.path("state_dir").asString(DEFAULT_STATE_DIR.toString())),
                Durations.parse(n.path("poll").path("interval").asString("1m")),
                percent(n.path("poll").path("jitter").asString("10%")),
                Optional.ofNullable(n.path("webhook").path("listen").asString(null)),
                path(base, n.path("webhook").path("secret_file")),
                new Verify(verify.path("mode").asString("off"), path(base, verify.path("allowed_signers")),
                        path(base, verify.path("revoked_keys")), path(base, verify.path("keyring")),
                        verify.path("fingerprints").valueStream().map(JsonNode::asString).toList()),
                n.path("allow_history_rewrite").asBoolean(false),
                percent(guard.path("max_moved_share").asString("50%")),
                guard.path("max_removed_services").asInt(1),
                base.resolve(n.path("control").path("socket").asString(DEFAULT_CONTROL_DIR.resolve(name + ".sock").toString())),
                Optional.ofNullable(n.path("metrics").path("listen").asString(null)));
    }

    /** "50%" → 0.5 (the schema's pattern has been checked). */
    public static double percent(String text) {
        return Double.parseDouble(text.substring(0, text.length() - 1)) / 100;
    }

    private static Optional<Path> path(Path base, JsonNode value) {
        return value.isString() ? Optional.of(base.resolve(value.asString())) : Optional.empty();
    }
}
