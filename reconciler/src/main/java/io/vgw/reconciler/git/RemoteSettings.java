package io.vgw.reconciler.git;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where a {@link GitMirror} fetches from and how.
 *
 * @param url {@code file://}, a local path, {@code https://}, {@code http://} or {@code ssh://} (also scp-like
 *     {@code user@host:path})
 * @param timeout bounds connecting and every read: a remote that accepts the connection and never answers fails after
 *     this long
 * @param knownHosts ssh: the known_hosts file the server's key must be in (never asked interactively); null for
 *     {@code ~/.ssh/known_hosts}
 * @param identity ssh: the private key to log in with (unencrypted, owned by the operator); null for the defaults in
 *     {@code ~/.ssh}
 * @param username http(s): user for basic authentication (with a token as password), or null
 * @param passwordFile http(s): file holding the password or token (so it never sits in reconcile.yaml), or null
 * @param maxFetchBytes the most one fetch may bring (its pack, and its objects inflated); 0 for the default
 */
public record RemoteSettings(String url, Duration timeout, Path knownHosts, Path identity, String username,
                             Path passwordFile, long maxFetchBytes) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Far above a config repository's whole history (10,000 services are a few MB), far below a full disk. */
    public static final long DEFAULT_MAX_FETCH = 256L << 20;

    public RemoteSettings {
        Objects.requireNonNull(url, "url");
        if (timeout == null) timeout = DEFAULT_TIMEOUT;
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
        if (maxFetchBytes < 0) throw new IllegalArgumentException("max_fetch_mb must be positive");
        if (maxFetchBytes == 0) maxFetchBytes = DEFAULT_MAX_FETCH;
    }

    /** A remote without credentials (file://, a local path, public http(s), ssh with the user's defaults). */
    public RemoteSettings(String url, Duration timeout) {
        this(url, timeout, null, null, null, null, 0);
    }
}
