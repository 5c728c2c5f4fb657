package io.vgw.frr;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * FRR daemons of one network namespace, each with its own runtime folder (vty sockets, zserv socket, pid files,
 * logs), as FRR runs in namespaces side by side: {@code ip netns exec NS zebra -d -F traditional -P 0 --vty_socket R
 * -z R/zserv.api -i R/zebra.pid -f /dev/null}, then ospfd and bfdd pointed at that zebra. They start with an empty
 * config; {@link Vtysh#at}(R) configures them. For the lab and tests; real hosts run FRR under systemd.
 */
public final class FrrDaemons {
    /** zebra first: the others connect to it. No staticd: nothing here uses static routes. */
    public static final List<String> DAEMONS = List.of("zebra", "ospfd", "bfdd");
    private static final Path BIN = Path.of("/usr/lib/frr");
    private static final long START_TIMEOUT_NANOS = 20_000_000_000L;

    private FrrDaemons() {}

    /** Starts every daemon in the namespace, detached, and waits until each answers on its vty socket. */
    public static Vtysh start(String namespace, Path dir) {
        prepare(dir);
        for (String daemon : DAEMONS) {
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
            command.addAll(command(dir, daemon));
            command.add("-d");
            Vtysh.Result r = Vtysh.run(command);
            if (r.code() != 0) throw new Vtysh.FrrException(daemon + " did not start in " + namespace + ": " + r.output().strip());
        }
        long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
        for (String daemon : DAEMONS) {
            while (!Files.exists(socket(dir, daemon))) {
                if (System.nanoTime() > deadline) throw new Vtysh.FrrException(daemon + " in " + namespace + " opened no vty socket in " + dir);
                pause();
            }
        }
        return Vtysh.at(dir);
    }

    /**
     * The folder made ready for a set of daemons: owned by the frr user (they drop to it), without what killed
     * daemons leave behind (sockets that would look like live daemons).
     */
    public static void prepare(Path dir) {
        try {
            Files.createDirectories(dir);
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(dir, users.lookupPrincipalByName("frr"));
            GroupPrincipal group = users.lookupPrincipalByGroupName("frr");
            Files.getFileAttributeView(dir, PosixFileAttributeView.class).setGroup(group);
            for (String daemon : DAEMONS) {
                Files.deleteIfExists(socket(dir, daemon));
                Files.deleteIfExists(dir.resolve(daemon + ".pid"));
            }
            Files.deleteIfExists(dir.resolve("zserv.api"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir + " for FRR (is the frr package installed?)", e);
        }
    }

    /** One daemon's command line, in the foreground (to run inside the namespace; add -d to detach). */
    public static List<String> command(Path dir, String daemon) {
        return List.of(BIN.resolve(daemon).toString(), "-F", "traditional", "-P", "0", "--vty_socket", dir.toString(),
                "-z", dir.resolve("zserv.api").toString(), "-i", dir.resolve(daemon + ".pid").toString(), "-f", "/dev/null",
                "--log", "file:" + dir.resolve(daemon + ".log"));
    }

    /** The daemon's vty socket: it exists once the daemon serves. */
    public static Path socket(Path dir, String daemon) {
        return dir.resolve(daemon + ".vty");
    }

    /** The running daemons' pids (from their pid files), zebra first. */
    public static List<Long> pids(Path dir) {
        List<Long> pids = new ArrayList<>();
        for (String daemon : DAEMONS) pid(dir, daemon).ifPresent(pids::add);
        return pids;
    }

    private static Optional<Long> pid(Path dir, String daemon) {
        try {
            Path file = dir.resolve(daemon + ".pid");
            if (!Files.exists(file)) return Optional.empty();
            long pid = Long.parseLong(Files.readString(file).strip());
            // Only an FRR daemon: a stale pid file must never make us kill a stranger.
            return ProcessHandle.of(pid).filter(p -> p.info().command().map(c -> c.startsWith(BIN.toString())).orElse(false))
                    .map(ProcessHandle::pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Stops the folder's daemons (SIGTERM, then SIGKILL after 5 s); safe when none runs. */
    public static void stop(Path dir) {
        List<ProcessHandle> running = new ArrayList<>();
        for (long pid : pids(dir)) ProcessHandle.of(pid).ifPresent(p -> {
            p.destroy();
            running.add(p);
        });
        for (ProcessHandle p : running) {
            try {
                p.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Vtysh.FrrException("interrupted");
        }
    }
}
