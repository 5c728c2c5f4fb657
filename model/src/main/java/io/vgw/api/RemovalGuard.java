package io.vgw.api;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * A config that removes every live service, or more than half of them, is most likely a mistake (a wrong
 * directory, a bad merge): the gateway refuses it unless the request says {@code force}. The reconciler and
 * {@code vgw apply} meet the same rule because the gateway enforces it.
 */
public final class RemovalGuard {
    private RemovalGuard() {}

    /** Why {@code next} needs force, or null when it does not. */
    public static String check(Collection<String> live, Set<String> next) {
        List<String> removed = live.stream().filter(s -> !next.contains(s)).sorted().toList();
        if (removed.isEmpty() || 2 * removed.size() <= live.size() && removed.size() < live.size()) return null;
        String names = removed.size() <= 5 ? String.join(", ", removed)
                : String.join(", ", removed.subList(0, 5)) + " and " + (removed.size() - 5) + " more";
        return "this config removes " + (removed.size() == live.size() ? "every service" : "more than half of the services")
                + " (" + removed.size() + " of " + live.size() + ": " + names + "); if that is intended, apply with force "
                + "(vgw apply --force)";
    }
}
