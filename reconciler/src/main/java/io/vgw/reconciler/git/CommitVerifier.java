package io.vgw.reconciler.git;

import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;

/** Decides whether a commit was signed by a key the operator allows. Never throws: a failure is a refusal. */
public interface CommitVerifier {
    Verification verify(Repository repo, ObjectId commit);

    /**
     * Identifies the trust the verifier applies (settings and the content of the key files). When it differs from
     * the one an applied revision was verified under, the loop verifies that revision again: a key removed from the
     * allowed signers or revoked must stop a revision that is already live from being re-applied.
     */
    default String trustFingerprint() {
        return "";
    }

    /** Verification off: every commit is accepted. */
    CommitVerifier NONE = (repo, commit) -> new Verification(true, null, "signature verification is off");
}
