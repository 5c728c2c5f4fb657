package io.vgw.reconciler.git;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcaKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.GpgConfig;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.SignatureVerifier;
import org.eclipse.jgit.lib.SignatureVerifiers;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.util.RawParseUtils;

/**
 * Verifies commit signatures against the operator's {@link TrustSettings}: SSH signatures through JGit's verifier
 * (org.eclipse.jgit.ssh.apache) with the allowed-signers and revoked-keys files, OpenPGP signatures with BouncyCastle
 * against an explicit list of fingerprints. JGit's own OpenPGP verifier is not used: it looks keys up in the user's
 * GnuPG keyring, and "signed by some key in a keyring" is not what the operator allowed.
 */
public final class SignedCommits implements CommitVerifier {
    private static final long MAX_KEY_FILE_BYTES = 1 << 20;
    private static final long MAX_COMMIT_BYTES = 1 << 20;
    private static final byte[] GPGSIG = "gpgsig".getBytes(StandardCharsets.US_ASCII);

    private final TrustSettings trust;
    private final BouncyCastleProvider bouncyCastle = new BouncyCastleProvider();
    private String verifiedUnder = "";

    private SignedCommits(TrustSettings trust) {
        this.trust = trust;
    }

    /** Checks that each configured file is absolute, readable and writable only by its owner. */
    public static SignedCommits of(TrustSettings trust) throws GitException {
        if (trust.allowedSigners() == null && trust.openpgpKeys() == null) {
            throw new GitException("signature verification is on but trusts no key: set verify.allowed_signers (ssh) or"
                    + " verify.keyring and verify.fingerprints (openpgp) in reconcile.yaml");
        }
        if (trust.openpgpKeys() != null && trust.openpgpFingerprints().isEmpty()) {
            throw new GitException("an OpenPGP key file is set but no fingerprints are listed: list the fingerprints of"
                    + " the keys that may sign in verify.fingerprints (gpg --fingerprint)");
        }
        for (String fingerprint : trust.fingerprints()) {
            if (!fingerprint.matches("[0-9A-F]{40}|[0-9A-F]{64}")) {
                throw new GitException("'" + fingerprint + "' in verify.fingerprints is not a full key fingerprint (40"
                        + " or 64 hex digits; a key id is too short to trust): see gpg --fingerprint");
            }
        }
        for (Path file : new Path[] {trust.allowedSigners(), trust.revokedKeys(), trust.openpgpKeys()}) {
            if (file != null) checkOwnedFile(file);
        }
        return new SignedCommits(trust);
    }

    private static void checkOwnedFile(Path file) throws GitException {
        if (!file.isAbsolute()) {
            throw new GitException(file + ": key files must be absolute paths (they are never looked up in the"
                    + " repository)");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new GitException(file + " is not a readable file; check the signature settings in reconcile.yaml");
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (permissions.contains(PosixFilePermission.GROUP_WRITE)
                    || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new GitException(file + " is writable by others than its owner, who could then trust any key;"
                        + " run: chmod go-w " + file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            throw new GitException("cannot check the permissions of " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Verification verify(Repository repo, ObjectId id) {
        String fingerprint = trustFingerprint();
        if (!fingerprint.equals(verifiedUnder)) {
            // JGit caches allowed-signers files and revocation lists: drop them when the files change.
            SignatureVerifier ssh = SignatureVerifiers.get(GpgConfig.GpgFormat.SSH);
            if (ssh != null) ssh.clear();
            verifiedUnder = fingerprint;
        }
        String shortId = id.abbreviate(10).name();
        RevCommit commit;
        try (RevWalk walk = new RevWalk(repo)) {
            long size = walk.getObjectReader().getObjectSize(id, Constants.OBJ_COMMIT);
            if (size > MAX_COMMIT_BYTES) {
                return Verification.refused(null, "commit " + shortId + " is " + (size >> 10) + " KiB, more than the "
                        + (MAX_COMMIT_BYTES >> 10) + " KiB vgw reads");
            }
            commit = walk.parseCommit(id);
        } catch (IOException e) {
            return Verification.refused(null, "cannot read commit " + shortId + ": " + e.getMessage());
        }
        byte[] signature = commit.getRawGpgSignature();
        if (signature == null) {
            return Verification.refused(null, "commit " + shortId + " is not signed; sign it (git commit -S) with a"
                    + " key the reconciler trusts");
        }
        GpgConfig.GpgFormat format = SignatureVerifiers.getFormat(signature);
        try {
            if (format == GpgConfig.GpgFormat.SSH) return verifySsh(repo, commit, shortId);
            if (format == GpgConfig.GpgFormat.OPENPGP) return verifyOpenPgp(commit, signature, shortId);
        } catch (IOException | PGPException | RuntimeException e) {
            return Verification.refused(null, "cannot verify the signature of commit " + shortId + ": " + e);
        }
        return Verification.refused(null, "commit " + shortId + " has a " + (format == null ? "malformed" : format)
                + " signature; vgw verifies SSH and OpenPGP signatures");
    }

    private Verification verifySsh(Repository repo, RevCommit commit, String shortId) throws IOException {
        if (trust.allowedSigners() == null) {
            return Verification.refused(null, "commit " + shortId + " is signed with an SSH key, but no allowed-signers"
                    + " file is configured (verify.allowed_signers)");
        }
        Config config = new Config(); // built here, never read from the repository's config
        config.setString("gpg", null, "format", "ssh");
        config.setString("gpg", "ssh", "allowedSignersFile", trust.allowedSigners().toString());
        if (trust.revokedKeys() != null && Files.size(trust.revokedKeys()) > 0) { // JGit cannot read an empty one
            config.setString("gpg", "ssh", "revocationFile", trust.revokedKeys().toString());
        }
        SignatureVerifier.SignatureVerification result = SignatureVerifiers.verify(repo, new GpgConfig(config), commit);
        if (result == null) return Verification.refused(null, "commit " + shortId + ": no SSH verifier available");
        String key = result.keyFingerprint();
        if (result.verified()) {
            return new Verification(true, result.keyUser(), "signed by " + result.keyUser() + " (" + key + ")");
        }
        String message = result.message() == null ? "bad signature" : result.message();
        String reason;
        if (result.expired()) {
            reason = "the key " + key + " has expired (" + message + ")";
        } else if (message.toLowerCase().contains("revoked")) {
            reason = "the key " + key + " is revoked in " + trust.revokedKeys();
        } else if (message.toLowerCase().contains("principal")) {
            reason = "the key " + key + " is not in the allowed signers file " + trust.allowedSigners();
        } else if (message.contains("see the log")) {
            reason = "cannot read " + trust.allowedSigners()
                    + (trust.revokedKeys() == null ? "" : " or " + trust.revokedKeys()) + " (the log has the details)";
        } else {
            reason = message;
        }
        return Verification.refused(result.keyUser(), "commit " + shortId + " refused: " + reason);
    }

    private Verification verifyOpenPgp(RevCommit commit, byte[] signatureBytes, String shortId)
            throws IOException, PGPException {
        if (trust.openpgpKeys() == null) {
            return Verification.refused(null, "commit " + shortId + " is signed with OpenPGP, but no OpenPGP key file"
                    + " is configured (verify.keyring)");
        }
        PGPSignature signature = parseSignature(signatureBytes);
        if (signature == null) return Verification.refused(null, "commit " + shortId + ": malformed OpenPGP signature");
        String keyId = String.format("%016X", signature.getKeyID());
        PGPPublicKeyRingCollection keys = readKeys();
        PGPPublicKey key = keys.getPublicKey(signature.getKeyID());
        if (key == null) {
            return Verification.refused(null, "commit " + shortId + " refused: it is signed by OpenPGP key " + keyId
                    + ", which is not in " + trust.openpgpKeys());
        }
        PGPPublicKeyRing ring = keys.getPublicKeyRing(signature.getKeyID());
        PGPPublicKey primary = ring.getPublicKey();
        String fingerprint = hex(primary.getFingerprint());
        String user = firstUser(primary);
        String who = user == null ? fingerprint : user + " (" + fingerprint + ")";
        Set<String> allowed = trust.fingerprints();
        if (!allowed.contains(fingerprint) && !allowed.contains(hex(key.getFingerprint()))) {
            return Verification.refused(user, "commit " + shortId + " refused: it is signed by " + who
                    + ", which is not among the trusted fingerprints");
        }
        for (PGPPublicKey k : List.of(primary, key)) {
            if (k.hasRevocation()) {
                return Verification.refused(user, "commit " + shortId + " refused: the key " + hex(k.getFingerprint())
                        + " is revoked");
            }
            if (k.getValidSeconds() > 0) {
                Instant expiry = k.getCreationTime().toInstant().plusSeconds(k.getValidSeconds());
                if (expiry.isBefore(Instant.now())) {
                    return Verification.refused(user, "commit " + shortId + " refused: the key "
                            + hex(k.getFingerprint()) + " expired on " + expiry);
                }
            }
        }
        signature.init(new JcaPGPContentVerifierBuilderProvider().setProvider(bouncyCastle), key);
        signature.update(withoutSignature(commit.getRawBuffer()));
        if (!signature.verify()) {
            return Verification.refused(user, "commit " + shortId + " refused: its OpenPGP signature by " + who
                    + " does not match its content");
        }
        return new Verification(true, user, "signed by " + who);
    }

    private static PGPSignature parseSignature(byte[] bytes) throws IOException, PGPException {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(bytes))) {
            Object object = new JcaPGPObjectFactory(in).nextObject();
            if (object instanceof PGPCompressedData compressed) {
                object = new JcaPGPObjectFactory(compressed.getDataStream()).nextObject();
            }
            return object instanceof PGPSignatureList list && !list.isEmpty() ? list.get(0) : null;
        }
    }

    private PGPPublicKeyRingCollection readKeys() throws IOException, PGPException {
        Path file = trust.openpgpKeys();
        if (Files.size(file) > MAX_KEY_FILE_BYTES) {
            throw new IOException(file + " is larger than " + (MAX_KEY_FILE_BYTES >> 10) + " KiB");
        }
        try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
            return new PGPPublicKeyRingCollection(in, new JcaKeyFingerprintCalculator());
        }
    }

    /** The signed content of a commit: its raw bytes without the {@code gpgsig} header (continuation lines too). */
    private static byte[] withoutSignature(byte[] raw) {
        int start = RawParseUtils.headerStart(GPGSIG, raw, 0);
        if (start < 0) return raw;
        int end = RawParseUtils.nextLfSkippingSplitLines(raw, start);
        start -= GPGSIG.length + 1; // back to the header's name
        if (end < raw.length) end++; // and its line feed
        byte[] data = new byte[raw.length - (end - start)];
        System.arraycopy(raw, 0, data, 0, start);
        System.arraycopy(raw, end, data, start, raw.length - end);
        return data;
    }

    private static String firstUser(PGPPublicKey key) {
        Iterator<String> users = key.getUserIDs();
        return users.hasNext() ? users.next() : null;
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().withUpperCase().formatHex(bytes);
    }

    /** SHA-256 over the settings and the current content of every key file (a missing file counts as such). */
    @Override
    public String trustFingerprint() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            List<String> parts = new ArrayList<>();
            parts.add(String.valueOf(trust.allowedSigners()));
            parts.add(String.valueOf(trust.revokedKeys()));
            parts.add(String.valueOf(trust.openpgpKeys()));
            parts.add(String.join(",", trust.fingerprints()));
            for (String part : parts) digest.update((part + "\n").getBytes(StandardCharsets.UTF_8));
            for (Path file : new Path[] {trust.allowedSigners(), trust.revokedKeys(), trust.openpgpKeys()}) {
                if (file == null) continue;
                try {
                    digest.update(Files.size(file) <= MAX_KEY_FILE_BYTES ? Files.readAllBytes(file)
                            : "too large".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    digest.update(("unreadable: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
                }
            }
            return "sha256:" + HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
