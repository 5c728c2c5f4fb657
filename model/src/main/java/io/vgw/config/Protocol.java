package io.vgw.config;

/** L4 protocols a service can balance; the number is the IPv4 protocol field. */
public enum Protocol {
    TCP(6), UDP(17);

    public final int number;

    Protocol(int number) {
        this.number = number;
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Protocol of(String label) {
        return valueOf(label.toUpperCase(java.util.Locale.ROOT));
    }
}
