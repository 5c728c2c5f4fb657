package io.vgw.reconciler.git;

/** A Git operation failed; the message says what failed and what the operator can do about it. */
public final class GitException extends Exception {
    public GitException(String message) {
        super(message);
    }

    public GitException(String message, Throwable cause) {
        super(message, cause);
    }
}
