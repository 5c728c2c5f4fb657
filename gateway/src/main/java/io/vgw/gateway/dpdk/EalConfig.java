package io.vgw.gateway.dpdk;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to start the EAL; {@link #toArgs()} renders the {@code rte_eal_init} argument list.
 *
 * <p>Memory: without {@link #hugeDir()} {@code --no-huge -m MB --no-shconf} (anonymous memory, works
 * anywhere; {@code --in-memory} is refused with {@code --no-huge}); with it
 * {@code --in-memory --huge-dir DIR -m MB} on a mounted hugetlbfs (1.5–2× faster). Always
 * {@code --no-pci --no-telemetry}: the gateway uses virtual devices ({@code --vdev} here, or
 * hot-plugged later with {@link Port#attach}).
 *
 * @param lcores        EAL {@code -l} list, for example {@code "0"}; workers need no EAL lcore:
 *                      they are non-EAL threads that call {@link Eal#registerThread()}
 * @param memoryMb      {@code -m}, megabytes reserved up front
 * @param hugeDir       a hugetlbfs mount point, or empty for {@code --no-huge}
 * @param vdevs         {@code --vdev} arguments, for example {@code "net_null0"}
 * @param logLevel      {@code --log-level} value (e.g. {@code "notice"}, {@code "pmd.net.pcap:debug"}), or null
 * @param pinInitThread keep the CPU pinning that {@code rte_eal_init} gives the calling thread (the
 *                      main lcore's CPU set); by default it is undone, because in a JVM the init
 *                      thread is arbitrary and every thread it starts later would inherit the pin
 * @param extraArgs     appended verbatim
 */
public record EalConfig(
        String lcores,
        int memoryMb,
        Optional<Path> hugeDir,
        List<String> vdevs,
        String logLevel,
        boolean pinInitThread,
        List<String> extraArgs) {

    /** The program name passed as {@code argv[0]}. */
    public static final String PROGRAM = "vgw";

    public EalConfig {
        Objects.requireNonNull(lcores, "lcores");
        Objects.requireNonNull(hugeDir, "hugeDir");
        vdevs = List.copyOf(vdevs);
        extraArgs = List.copyOf(extraArgs);
        if (lcores.isBlank()) {
            throw new IllegalArgumentException("lcores must not be blank");
        }
        if (memoryMb <= 0) {
            throw new IllegalArgumentException("memoryMb must be positive: " + memoryMb);
        }
    }

    /** {@code -l 0 -m 512}, no hugepages, no vdevs, EAL's default log level. */
    public static Builder builder() {
        return new Builder();
    }

    /** The full argument vector, {@code argv[0]} included. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>();
        args.add(PROGRAM);
        args.add("-l");
        args.add(lcores);
        if (hugeDir.isPresent()) {
            args.add("--in-memory");
            args.add("--huge-dir");
            args.add(hugeDir.get().toString());
        } else {
            args.add("--no-huge");
            args.add("--no-shconf");
        }
        args.add("-m");
        args.add(Integer.toString(memoryMb));
        args.add("--no-pci");
        args.add("--no-telemetry");
        for (String vdev : vdevs) {
            args.add("--vdev");
            args.add(vdev);
        }
        if (logLevel != null && !logLevel.isBlank()) {
            args.add("--log-level=" + logLevel);
        }
        args.addAll(extraArgs);
        return List.copyOf(args);
    }

    /** Builder with the defaults of {@link #builder()}. */
    public static final class Builder {
        private String lcores = "0";
        private int memoryMb = 512;
        private Path hugeDir;
        private final List<String> vdevs = new ArrayList<>();
        private String logLevel;
        private boolean pinInitThread;
        private final List<String> extraArgs = new ArrayList<>();

        private Builder() {
        }

        public Builder lcores(String value) {
            this.lcores = value;
            return this;
        }

        public Builder memoryMb(int value) {
            this.memoryMb = value;
            return this;
        }

        /** A hugetlbfs mount point; null for {@code --no-huge}. */
        public Builder hugeDir(Path value) {
            this.hugeDir = value;
            return this;
        }

        public Builder vdev(String value) {
            this.vdevs.add(Objects.requireNonNull(value));
            return this;
        }

        public Builder logLevel(String value) {
            this.logLevel = value;
            return this;
        }

        public Builder pinInitThread(boolean value) {
            this.pinInitThread = value;
            return this;
        }

        public Builder extraArg(String value) {
            this.extraArgs.add(Objects.requireNonNull(value));
            return this;
        }

        public EalConfig build() {
            return new EalConfig(lcores, memoryMb, Optional.ofNullable(hugeDir), vdevs, logLevel,
                    pinInitThread, extraArgs);
        }
    }
}
