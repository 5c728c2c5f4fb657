package io.vgw.reconciler.git;

/**
 * The outcome of a commit signature check.
 *
 * @param trusted whether the commit may be applied
 * @param signer who signed it (the allowed-signers principal or the OpenPGP user id), or null when unknown
 * @param reason why it is not trusted (or what made it trusted), for status and logs
 */
public record Verification(boolean trusted, String signer, String reason) {
    static Verification refused(String signer, String reason) {
        return new Verification(false, signer, reason);
    }
}
