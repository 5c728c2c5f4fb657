package io.vgw.health;

/** A probe's result, named as HAProxy names its check results so operators recognise them. */
public enum Code {
    /** TCP connected (a tcp check's success). */
    L4OK(true),
    /** no connection within the timeout (SYN unanswered: filtered, or the host is gone). */
    L4TOUT(false),
    /** connecting failed: refused (RST), no route, network unreachable. */
    L4CON(false),
    /** the HTTP status expected. */
    L7OK(true),
    /** connected, but no HTTP status line within the timeout. */
    L7TOUT(false),
    /** not HTTP: garbage, an overlong status line, or closed before a status line. */
    L7RSP(false),
    /** an HTTP status other than the one expected. */
    L7STS(false),
    /** a socket error: no socket could be opened (file descriptors exhausted), or an error after connecting (reset). */
    SOCKERR(false);

    private final boolean ok;

    Code(boolean ok) {
        this.ok = ok;
    }

    public boolean ok() {
        return ok;
    }
}
