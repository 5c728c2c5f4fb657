package io.vgw.config;

/** IPv4 addresses as the int the data plane uses: network order packed big-endian, a.b.c.d = a<<24|b<<16|c<<8|d. */
public final class Ipv4 {
    private Ipv4() {}

    /** Parses strict dotted-quad text (no leading zeros, no shorthand); throws IllegalArgumentException otherwise. */
    public static int parse(String text) {
        // a.b.c.d, each 0-255 in decimal without leading zeros; a plain loop: configs hold 100,000 of these
        int address = 0;
        int parts = 0;
        int i = 0;
        int n = text.length();
        while (parts < 4) {
            int start = i;
            int octet = 0;
            while (i < n && i - start < 3 && text.charAt(i) >= '0' && text.charAt(i) <= '9') octet = octet * 10 + text.charAt(i++) - '0';
            int digits = i - start;
            boolean last = ++parts == 4;
            boolean ends = last ? i == n : i < n && text.charAt(i) == '.'; // the fourth ends the text, the others a dot
            if (digits == 0 || (digits > 1 && text.charAt(start) == '0') || !ends) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (a.b.c.d)");
            }
            if (octet > 255) throw new IllegalArgumentException("'" + text + "' is not an IPv4 address: " + octet + " > 255");
            address = address << 8 | octet;
            i++; // the dot
        }
        return address;
    }

    public static String format(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
    }

    /** Why the address cannot be a VIP or a real server, or null when it can. */
    public static String unusableReason(int address) {
        int first = address >>> 24;
        if (address == 0) return "0.0.0.0 is the unspecified address";
        if (address == -1) return "255.255.255.255 is the broadcast address";
        if (first == 0) return "0.0.0.0/8 means 'this network'";
        if (first == 127) return "127.0.0.0/8 is loopback";
        if (first >= 224 && first < 240) return "224.0.0.0/4 is multicast";
        if (first >= 240) return "240.0.0.0/4 is reserved";
        return null;
    }
}
