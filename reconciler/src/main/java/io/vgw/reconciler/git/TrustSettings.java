package io.vgw.reconciler.git;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The keys the operator trusts to sign config commits. Every file lives outside the repository and belongs to the
 * operator: nothing is ever resolved relative to, or read from, the repository being verified.
 *
 * @param allowedSigners SSH signatures: an OpenSSH allowed-signers file ({@code ssh-keygen -Y verify} format:
 *     {@code principal [namespaces="git"] [valid-before=...] key-type base64}), or null to refuse SSH signatures
 * @param revokedKeys SSH signatures: revoked public keys (one a line, or an OpenSSH KRL), or null
 * @param openpgpKeys OpenPGP signatures: the operator's public keys (armored or binary, as {@code gpg --export}
 *     writes them, revocations included), or null to refuse OpenPGP signatures
 * @param openpgpFingerprints OpenPGP signatures: the fingerprints (hex, spaces allowed) of the keys that may sign; a
 *     key in {@code openpgpKeys} but not listed here is refused
 */
public record TrustSettings(Path allowedSigners, Path revokedKeys, Path openpgpKeys, List<String> openpgpFingerprints) {
    public TrustSettings {
        openpgpFingerprints = openpgpFingerprints == null ? List.of() : List.copyOf(openpgpFingerprints);
    }

    /** Trusts SSH signatures by the keys in an allowed-signers file. */
    public static TrustSettings ssh(Path allowedSigners, Path revokedKeys) {
        return new TrustSettings(allowedSigners, revokedKeys, null, List.of());
    }

    /** Trusts OpenPGP signatures by the listed keys, read from a public key file. */
    public static TrustSettings openpgp(Path publicKeys, List<String> fingerprints) {
        return new TrustSettings(null, null, publicKeys, fingerprints);
    }

    /** The allowed fingerprints, normalised: upper-case hex without spaces. */
    Set<String> fingerprints() {
        Set<String> normalised = new TreeSet<>();
        for (String f : openpgpFingerprints) normalised.add(normalise(f));
        return normalised;
    }

    static String normalise(String fingerprint) {
        return fingerprint.replaceAll("\\s+", "").toUpperCase(Locale.ROOT);
    }
}
