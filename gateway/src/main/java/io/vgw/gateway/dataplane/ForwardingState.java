package io.vgw.gateway.dataplane;

import io.vgw.maglev.MaglevTable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a worker needs to forward, as flat primitive arrays: immutable once built, published whole through
 * one atomic reference, read once per burst. Building happens off the hot path ({@code io.vgw.gateway.state}).
 *
 * <p>Services are found in an open-addressing map from {@code vip << 32 | protocol << 17 | port} to a service index
 * (port 0 services are tried second; fragments use a key with bit 16 set). A service's Maglev table holds indexes
 * into its pool, which is a run of the flat server arrays starting at the service's base, so a lookup is two array
 * reads. Tables are shared, not copied: between services with equal pools, and with the previous state for pools
 * that did not change.
 */
public final class ForwardingState {
    /**
     * One service: its Maglev table, the index in {@code servers} of its pool's first server (table values are
     * relative to it) and idle timeouts in ticks.
     */
    public record ServiceSpec(String name, int vip, int port, int protocol, MaglevTable table, int base,
                              int synTicks, int establishedTicks, int closingTicks, int udpTicks) {}

    /**
     * One real server of one service.
     *
     * @param id  stable across states (connection entries record it)
     * @param mac next hop's MAC towards it (low 48 bits), 0 while unresolved
     * @param up  health: a connection entry pinned to a server that is down is rescheduled
     */
    public record ServerSpec(int id, int address, long mac, boolean up) {}

    private static final int FRAGMENT = 1 << 16;

    final long generation;
    private final long[] keys;
    private final int[] values;
    private final int mask;
    private final int[] addresses;
    private final int addressMask;

    final MaglevTable[] tables;
    final int[] base;
    final int[] synTicks;
    final int[] establishedTicks;
    final int[] closingTicks;
    final int[] udpTicks;
    private final String[] names;

    final int[] serverAddress;
    final int[] serverId;
    final long[] serverMac;
    final boolean[] serverUp;
    private final int[] idToLocal;

    private ForwardingState(long generation, List<ServiceSpec> services, List<ServerSpec> servers, int maxIds) {
        this.generation = generation;
        int n = services.size();
        tables = new MaglevTable[n];
        base = new int[n];
        synTicks = new int[n];
        establishedTicks = new int[n];
        closingTicks = new int[n];
        udpTicks = new int[n];
        names = new String[n];
        int capacity = Integer.highestOneBit(Math.max(4, n * 4) - 1) << 1;
        keys = new long[capacity * 2];
        values = new int[capacity * 2];
        mask = capacity * 2 - 1;
        int addressCapacity = capacity;
        addresses = new int[addressCapacity];
        addressMask = addressCapacity - 1;
        Map<Long, Integer> fragmentCandidates = new HashMap<>();
        for (int i = 0; i < n; i++) {
            ServiceSpec s = services.get(i);
            tables[i] = s.table();
            base[i] = s.base();
            synTicks[i] = s.synTicks();
            establishedTicks[i] = s.establishedTicks();
            closingTicks[i] = s.closingTicks();
            udpTicks[i] = s.udpTicks();
            names[i] = s.name();
            put(key(s.vip(), s.protocol(), s.port()), i);
            addAddress(s.vip());
            long fragmentKey = key(s.vip(), s.protocol(), FRAGMENT);
            // Fragments have no port: the port-0 service takes them, else the only service of that VIP and protocol.
            if (s.port() == 0) fragmentCandidates.put(fragmentKey, i);
            else fragmentCandidates.merge(fragmentKey, i, (a, b) -> services.get(a).port() == 0 ? a : -1);
        }
        fragmentCandidates.forEach((k, v) -> {
            if (v >= 0) put(k, v);
        });
        int m = servers.size();
        serverAddress = new int[m];
        serverId = new int[m];
        serverMac = new long[m];
        serverUp = new boolean[m];
        idToLocal = new int[maxIds];
        Arrays.fill(idToLocal, -1);
        for (int i = 0; i < m; i++) {
            ServerSpec r = servers.get(i);
            serverAddress[i] = r.address();
            serverId[i] = r.id();
            serverMac[i] = r.mac();
            serverUp[i] = r.up();
            idToLocal[r.id()] = i;
        }
    }

    /**
     * @param maxIds server ids are below this; sizes the id → server index
     */
    public static ForwardingState of(long generation, List<ServiceSpec> services, List<ServerSpec> servers, int maxIds) {
        return new ForwardingState(generation, services, servers, maxIds);
    }

    public static ForwardingState empty() {
        return of(0, List.of(), List.of(), 1);
    }

    public long generation() {
        return generation;
    }

    private static long key(int vip, int protocol, int port) {
        return (vip & 0xffffffffL) << 32 | (long) protocol << 17 | port;
    }

    /** Fibonacci hashing: one multiply spreads these keys well enough for a table at most 1/4 full. */
    private static int hash(long key) {
        return (int) ((key * 0x9e3779b97f4a7c15L) >>> 32);
    }

    private static int hash(int address) {
        return (address * 0x9e3779b9) >>> 8;
    }

    private void put(long key, int value) {
        int i = hash(key) & mask;
        while (keys[i] != 0) i = (i + 1) & mask;
        keys[i] = key;
        values[i] = value;
    }

    private int get(long key) {
        for (int i = hash(key) & mask; ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == 0) return -1;
        }
    }

    private void addAddress(int vip) {
        int i = hash(vip) & addressMask;
        while (addresses[i] != 0 && addresses[i] != vip) i = (i + 1) & addressMask;
        addresses[i] = vip;
    }

    /** Is this destination one of our VIPs (any port, any protocol)? */
    boolean isVip(int address) {
        for (int i = hash(address) & addressMask; ; i = (i + 1) & addressMask) {
            int a = addresses[i];
            if (a == address) return address != 0;
            if (a == 0) return false;
        }
    }

    /** The service for a destination, trying the exact port first, then the VIP's port-0 service; -1 if none. */
    int service(int vip, int protocol, int port) {
        int s = get(key(vip, protocol, port));
        return s >= 0 ? s : get(key(vip, protocol, 0));
    }

    /** The service that takes fragments to this VIP and protocol; -1 if ambiguous or none. */
    int fragmentService(int vip, int protocol) {
        return get(key(vip, protocol, FRAGMENT));
    }

    /** The server index of a stable id in this state, or -1 when the server is not in any pool now. */
    int local(int id) {
        return id >= 0 && id < idToLocal.length ? idToLocal[id] : -1;
    }

    public int services() {
        return tables.length;
    }

    public String serviceName(int service) {
        return names[service];
    }

    public int servers() {
        return serverAddress.length;
    }
}
