package io.vgw.reconciler.git;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real signed commits made by git 2.39: SSH signatures (ssh-keygen keys, gpg.format=ssh) and OpenPGP signatures
 * (gpg keys, one of them made in 2020 with a one-day lifetime), verified in the bare repository they were pushed to.
 */
class SignedCommitsTest {
    @TempDir
    static Path dir;

    static GitFixture repo;
    static Repository origin;
    static Path opsKey;
    static String opsPublic;
    static String unsigned;
    static String signedByOps;
    static String signedByStranger;
    static String pgpByOps;
    static String pgpByOther;
    static String pgpByRevoked;
    static String pgpByExpired;
    static String opsFingerprint;
    static String otherFingerprint;
    static String revokedFingerprint;
    static String expiredFingerprint;
    static Path pgpKeys;

    @BeforeAll
    static void signSomeCommits() throws Exception {
        repo = new GitFixture(dir);
        opsKey = sshKey("ops");
        opsPublic = Files.readString(Path.of(opsKey + ".pub")).strip();
        Path strangerKey = sshKey("stranger");

        unsigned = repo.commit("lb/a.yaml", "a: 1\n");
        signedByOps = repo.commit("lb/a.yaml", "a: 2\n", sshSigning(opsKey));
        signedByStranger = repo.commit("lb/a.yaml", "a: 3\n", sshSigning(strangerKey));

        Path gnupg = Files.createDirectories(repo.home.resolve(".gnupg"));
        Files.setPosixFilePermissions(gnupg, PosixFilePermissions.fromString("rwx------"));
        opsFingerprint = gpgKey("Ops <ops@example.org>", "1y", null);
        otherFingerprint = gpgKey("Other <other@example.org>", "1y", null);
        revokedFingerprint = gpgKey("Revoked <revoked@example.org>", "1y", null);
        expiredFingerprint = gpgKey("Expired <expired@example.org>", "1d", "20200101T000000");
        Path oldGpg = dir.resolve("gpg-2020");
        Files.writeString(oldGpg, "#!/bin/sh\nexec gpg --faked-system-time 20200101T120000 \"$@\"\n");
        Files.setPosixFilePermissions(oldGpg, PosixFilePermissions.fromString("rwx------"));

        pgpByOps = repo.commit("lb/a.yaml", "a: 4\n", pgpSigning(opsFingerprint, "gpg"));
        pgpByOther = repo.commit("lb/a.yaml", "a: 5\n", pgpSigning(otherFingerprint, "gpg"));
        pgpByRevoked = repo.commit("lb/a.yaml", "a: 6\n", pgpSigning(revokedFingerprint, "gpg"));
        pgpByExpired = repo.commit("lb/a.yaml", "a: 7\n", pgpSigning(expiredFingerprint, oldGpg.toString()));

        // gpg wrote a revocation certificate for each key; importing it revokes the key (after it signed).
        Path certificate = repo.home.resolve(".gnupg/openpgp-revocs.d/" + revokedFingerprint + ".rev");
        Path armored = dir.resolve("revoke.asc");
        Files.writeString(armored, Files.readString(certificate).replace(":-----BEGIN", "-----BEGIN"));
        repo.run(dir, "gpg", "--batch", "--yes", "--import", armored.toString());
        // The operator's key file: every key but one (the "unknown" case is a key not in this file).
        pgpKeys = dir.resolve("trusted-keys.asc");
        Files.writeString(pgpKeys, repo.run(dir, "gpg", "--armor", "--export", opsFingerprint, otherFingerprint,
                revokedFingerprint, expiredFingerprint));

        origin = new FileRepositoryBuilder().setGitDir(repo.origin.toFile()).setMustExist(true).build();
    }

    @AfterAll
    static void stopGpgAgent() throws Exception {
        if (origin != null) origin.close();
        if (repo != null) repo.run(dir, "gpgconf", "--kill", "all");
    }

    static Path sshKey(String name) throws Exception {
        Path key = dir.resolve(name);
        repo.run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.toString());
        return key;
    }

    static String[] sshSigning(Path key) {
        return new String[] {"gpg.format=ssh", "user.signingkey=" + key, "commit.gpgsign=true"};
    }

    static String[] pgpSigning(String fingerprint, String program) {
        return new String[] {"gpg.format=openpgp", "gpg.program=" + program, "user.signingkey=" + fingerprint,
                "commit.gpgsign=true"};
    }

    /** Generates a passphrase-less signing key (optionally at a faked time) and returns its fingerprint. */
    static String gpgKey(String user, String expires, String fakedTime) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("gpg", "--batch", "--pinentry-mode", "loopback",
                "--passphrase", ""));
        if (fakedTime != null) command.addAll(List.of("--faked-system-time", fakedTime));
        command.addAll(List.of("--quick-gen-key", user, "ed25519", "sign", expires));
        repo.run(dir, command.toArray(String[]::new));
        String email = user.substring(user.indexOf('<') + 1, user.indexOf('>'));
        for (String line : repo.run(dir, "gpg", "--with-colons", "--list-keys", email).split("\n")) {
            if (line.startsWith("fpr:")) return line.split(":")[9];
        }
        throw new AssertionError("no fingerprint for " + user);
    }

    Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    Verification ssh(String commit, Path allowed, Path revoked) throws Exception {
        return SignedCommits.of(TrustSettings.ssh(allowed, revoked)).verify(origin, ObjectId.fromString(commit));
    }

    Verification pgp(String commit, String... fingerprints) throws Exception {
        return SignedCommits.of(TrustSettings.openpgp(pgpKeys, List.of(fingerprints)))
                .verify(origin, ObjectId.fromString(commit));
    }

    static String shortId(String commit) {
        return commit.substring(0, 10);
    }

    @Test
    void sshAllowedKeyIsTrustedAndEverythingElseRefused() throws Exception {
        Path allowed = file("allowed_signers", "ops@example.org namespaces=\"git\" " + opsPublic + "\n");
        Verification ok = ssh(signedByOps, allowed, null);
        assertTrue(ok.trusted(), ok.reason());
        assertEquals("ops@example.org", ok.signer());

        Verification none = ssh(unsigned, allowed, null);
        assertFalse(none.trusted());
        assertEquals("commit " + shortId(unsigned) + " is not signed; sign it (git commit -S) with a key the"
                + " reconciler trusts", none.reason());

        Verification stranger = ssh(signedByStranger, allowed, null);
        assertFalse(stranger.trusted());
        assertTrue(stranger.reason().startsWith("commit " + shortId(signedByStranger) + " refused: the key SHA256:"),
                stranger.reason());
        assertTrue(stranger.reason().endsWith(" is not in the allowed signers file " + allowed), stranger.reason());

        Verification pgpOnly = ssh(pgpByOps, allowed, null);
        assertFalse(pgpOnly.trusted());
        assertEquals("commit " + shortId(pgpByOps) + " is signed with OpenPGP, but no OpenPGP key file is configured"
                + " (verify.keyring)",
                pgpOnly.reason());
    }

    @Test
    void sshRevokedAndExpiredKeysAreRefused() throws Exception {
        Path allowed = file("allowed_signers2", "ops@example.org namespaces=\"git\" " + opsPublic + "\n");
        Path revoked = file("revoked_keys", opsPublic + "\n");
        Verification r = ssh(signedByOps, allowed, revoked);
        assertFalse(r.trusted());
        assertTrue(r.reason().endsWith(" is revoked in " + revoked), r.reason());

        Path expired = file("allowed_expired", "ops@example.org namespaces=\"git\" valid-before=\"20200101\" "
                + opsPublic + "\n");
        Verification e = ssh(signedByOps, expired, null);
        assertFalse(e.trusted());
        assertTrue(e.reason().contains(" has expired"), e.reason());
    }

    @Test
    void changingTheTrustedKeysChangesTheFingerprintAndTheVerdict() throws Exception {
        Path allowed = file("allowed_signers3", "ops@example.org namespaces=\"git\" " + opsPublic + "\n");
        Path revoked = file("revoked_later", "");
        SignedCommits verifier = SignedCommits.of(TrustSettings.ssh(allowed, revoked));
        String before = verifier.trustFingerprint();
        assertTrue(verifier.verify(origin, ObjectId.fromString(signedByOps)).trusted());
        assertEquals(before, verifier.trustFingerprint(), "nothing changed");

        Files.writeString(revoked, opsPublic + "\n"); // the operator revokes the key the live revision was signed with
        assertNotEquals(before, verifier.trustFingerprint(), "the loop sees the change and verifies again");
        assertFalse(verifier.verify(origin, ObjectId.fromString(signedByOps)).trusted());
    }

    @Test
    void openPgpNeedsAListedFingerprintAndALiveKey() throws Exception {
        Verification ok = pgp(pgpByOps, opsFingerprint);
        assertTrue(ok.trusted(), ok.reason());
        assertEquals("Ops <ops@example.org>", ok.signer());
        // Spaces and case in the listed fingerprint do not matter.
        assertTrue(pgp(pgpByOps, opsFingerprint.toLowerCase().replaceAll("(.{4})", "$1 ")).trusted());

        Verification inKeyringOnly = pgp(pgpByOther, opsFingerprint);
        assertFalse(inKeyringOnly.trusted());
        assertEquals("commit " + shortId(pgpByOther) + " refused: it is signed by Other <other@example.org> ("
                + otherFingerprint + "), which is not among the trusted fingerprints", inKeyringOnly.reason());

        Verification revoked = pgp(pgpByRevoked, revokedFingerprint);
        assertFalse(revoked.trusted());
        assertEquals("commit " + shortId(pgpByRevoked) + " refused: the key " + revokedFingerprint + " is revoked",
                revoked.reason());

        Verification expired = pgp(pgpByExpired, expiredFingerprint);
        assertFalse(expired.trusted());
        assertTrue(expired.reason().startsWith("commit " + shortId(pgpByExpired) + " refused: the key "
                + expiredFingerprint + " expired on 2020-01-02"), expired.reason());

        Verification sshSigned = pgp(signedByOps, opsFingerprint);
        assertFalse(sshSigned.trusted());
        assertEquals("commit " + shortId(signedByOps) + " is signed with an SSH key, but no allowed-signers file is"
                + " configured (verify.allowed_signers)", sshSigned.reason());
    }

    @Test
    void openPgpKeyMissingFromTheKeyFileIsUnknown() throws Exception {
        Path onlyOther = file("other-key.asc", repo.run(dir, "gpg", "--armor", "--export", otherFingerprint));
        Verification unknown = SignedCommits.of(TrustSettings.openpgp(onlyOther, List.of(opsFingerprint)))
                .verify(origin, ObjectId.fromString(pgpByOps));
        assertFalse(unknown.trusted());
        assertTrue(unknown.reason().startsWith("commit " + shortId(pgpByOps) + " refused: it is signed by OpenPGP key "),
                unknown.reason());
        assertTrue(unknown.reason().endsWith(", which is not in " + onlyOther), unknown.reason());
    }

    @Test
    void keyFilesMustBeAbsoluteAndOwnedByTheOperator() throws Exception {
        var relative = assertThrows(GitException.class,
                () -> SignedCommits.of(TrustSettings.ssh(Path.of(".vgw/allowed_signers"), null)));
        assertEquals(".vgw/allowed_signers: key files must be absolute paths (they are never looked up in the"
                + " repository)", relative.getMessage());

        Path shared = file("shared_signers", "ops@example.org " + opsPublic + "\n");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-rw-r--"));
        var writable = assertThrows(GitException.class, () -> SignedCommits.of(TrustSettings.ssh(shared, null)));
        assertEquals(shared + " is writable by others than its owner, who could then trust any key; run: chmod go-w "
                + shared, writable.getMessage());

        var noFingerprints = assertThrows(GitException.class,
                () -> SignedCommits.of(TrustSettings.openpgp(pgpKeys, List.of())));
        assertTrue(noFingerprints.getMessage().startsWith("an OpenPGP key file is set but no fingerprints are listed"));

        var keyId = assertThrows(GitException.class,
                () -> SignedCommits.of(TrustSettings.openpgp(pgpKeys, List.of(opsFingerprint.substring(24)))));
        assertEquals("'" + opsFingerprint.substring(24) + "' in verify.fingerprints is not a full key fingerprint (40 or"
                + " 64 hex digits; a key id is too short to trust): see gpg --fingerprint", keyId.getMessage());
    }
}
