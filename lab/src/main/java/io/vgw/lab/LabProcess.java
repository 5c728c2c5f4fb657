package io.vgw.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A program the lab runs in one of its namespaces, as the lab's record keeps it: what to run, what shows it is
 * ready, and once started its pid and start time. The start time (clock ticks since boot, /proc/PID/stat) tells the
 * lab's own process from a later one that reuses the pid, so {@code down} and {@code restart} never signal a stranger.
 *
 * <p>A program runs in the foreground (the lab supervises it) and logs to {@code <run folder>/<name>.log}.
 *
 * @param readyFile  a file the program creates once it serves (e.g. its control socket), or null
 * @param readyPort  a TCP port it listens on in its namespace once it serves, or 0
 * @param pid        0 until started
 * @param startTicks the process's start time in clock ticks since boot; 0 until started
 */
public record LabProcess(String name, String namespace, List<String> command, String readyFile, int readyPort,
                         long pid, long startTicks) {

    public LabProcess {
        command = List.copyOf(command);
    }

    /** A program not started yet, ready as soon as it runs (give it a ready check with the methods below). */
    public static LabProcess of(String name, String namespace, List<String> command) {
        return new LabProcess(name, namespace, command, null, 0, 0, 0);
    }

    public LabProcess readyWhenFileExists(Path file) {
        return new LabProcess(name, namespace, command, file.toString(), readyPort, pid, startTicks);
    }

    public LabProcess readyWhenListening(int tcpPort) {
        return new LabProcess(name, namespace, command, readyFile, tcpPort, pid, startTicks);
    }

    LabProcess started(long newPid) {
        return new LabProcess(name, namespace, command, readyFile, readyPort, newPid, startTicks(newPid).orElse(0L));
    }

    /** Still the process the lab started: the pid lives and started when it did. */
    public boolean running() {
        return pid > 0 && startTicks(pid).equals(Optional.of(startTicks));
    }

    /** Running, inside its namespace, and showing its ready sign. */
    boolean ready() {
        if (!running() || !Lab.inNamespace(pid, namespace)) return false;
        if (readyFile != null && !Files.exists(Path.of(readyFile))) return false;
        return readyPort == 0 || listens(pid, readyPort);
    }

    /** Does the process's network namespace have a TCP listener on the port (IPv4 or IPv6)? */
    private static boolean listens(long pid, int port) {
        String local = String.format(":%04X", port);
        for (String table : List.of("tcp", "tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/net/" + table))) {
                    String[] f = line.strip().split("\\s+");
                    if (f.length > 3 && f[1].endsWith(local) && f[3].equals("0A")) return true; // 0A: LISTEN
                }
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * Field 22 of /proc/PID/stat (after the parenthesised command name, which may hold spaces); empty for a process
     * that is gone or has exited and waits to be reaped (a zombie: nothing here reaps orphans).
     */
    static Optional<Long> startTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (fields[0].equals("Z") || fields[0].equals("X")) return Optional.empty();
            return Optional.of(Long.parseLong(fields[19]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
