package io.vgw.health;

/** A target's verdict. */
public enum State {
    /** not probed yet: the first result decides (a success makes it up, a failure down). */
    UNKNOWN,
    UP,
    DOWN;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
