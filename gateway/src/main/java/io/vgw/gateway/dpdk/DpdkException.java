package io.vgw.gateway.dpdk;

/**
 * A DPDK call failed. The message names the call and carries {@code rte_strerror} of the error;
 * {@link #errno()} is the positive errno value (from {@code rte_errno}, or a negative return code).
 */
public final class DpdkException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int errno;

    DpdkException(String operation, int errno) {
        super(operation + " failed: " + Shim.strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    /** For a call that returned a negative errno: {@code check("rte_eth_dev_start(port 0)", rc)}. */
    static int check(String operation, int rc) {
        if (rc < 0) {
            throw new DpdkException(operation, -rc);
        }
        return rc;
    }

    /** For a call that set rte_errno: reads it on this thread, right after the failure. */
    static DpdkException fromRteErrno(String operation) {
        return new DpdkException(operation, Shim.errno());
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }
}
