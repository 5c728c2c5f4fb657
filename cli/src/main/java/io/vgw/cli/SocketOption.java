package io.vgw.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * --socket, shared by the commands that talk to a running gateway. Without it: the only socket in /run/vgw, where
 * gateways put theirs by default (gateway.yaml's control.socket defaults to /run/vgw/&lt;gateway&gt;.sock), so on a
 * node with one gateway no option is needed, and with several the command asks which.
 */
final class SocketOption {
    static final Path RUN_DIR = Path.of("/run/vgw");
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    @Option(names = {"-s", "--socket"}, paramLabel = "PATH",
            description = "The gateway's control socket (control.socket in its gateway.yaml). "
                    + "Default: the only socket in /run/vgw.")
    Path socket;

    Path resolve() throws IOException {
        return socket != null ? socket : find(RUN_DIR);
    }

    /** The one socket file in {@code dir}, or an error saying how to choose. */
    static Path find(Path dir) throws IOException {
        List<Path> sockets;
        try (Stream<Path> files = Files.isDirectory(dir) ? Files.list(dir) : Stream.empty()) {
            sockets = files.filter(SocketOption::isSocket).sorted().toList();
        }
        if (sockets.size() == 1) return sockets.getFirst();
        if (sockets.isEmpty()) {
            throw new IOException("no gateway socket in " + dir + ": is `vgw gateway` running? If its control.socket "
                    + "is elsewhere, give it with --socket PATH");
        }
        throw new IOException("several gateway sockets in " + dir + " ("
                + String.join(", ", sockets.stream().map(p -> p.getFileName().toString()).toList())
                + "); choose one with --socket PATH");
    }

    private static boolean isSocket(Path p) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
