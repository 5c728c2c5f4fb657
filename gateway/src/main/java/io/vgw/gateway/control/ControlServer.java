package io.vgw.gateway.control;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.vgw.api.ConfigRequest;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control API (see {@link ControlApi}) on a unix-domain socket, like Docker's:
 * {@code curl --unix-socket /run/vgw/lb1.sock http://x/v1/status}. One Netty epoll event-loop thread.
 *
 * <p>The socket file is mode 0600 from the moment it has its name: the server binds a temporary name in the same
 * folder, sets the mode, then hard-links the real name to it (link(2) fails rather than replace a file another
 * process put there meanwhile) and removes the temporary name. A missing folder is created 0700. A socket file
 * left by a dead daemon (connect refused) is replaced; one a live process answers on is not: the start fails.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path socket;
    private final EventLoopGroup group;
    private final Channel channel;
    private final Object fileKey;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ControlServer(Path socket, EventLoopGroup group, Channel channel, Object fileKey) {
        this.socket = socket;
        this.group = group;
        this.channel = channel;
        this.fileKey = fileKey;
    }

    /**
     * Serves {@code gateway} on {@code socket}; throws with what to do when the socket is taken or unusable.
     *
     * @param requestTimeout how long a request may take to arrive whole
     */
    public static ControlServer start(Path socket, GatewayControl gateway, Duration requestTimeout) throws IOException {
        return start(socket, gateway, ConfigRequest.MAX_BODY, requestTimeout);
    }

    static ControlServer start(Path socket, GatewayControl gateway, int maxBody, Duration requestTimeout) throws IOException {
        Path path = socket.toAbsolutePath().normalize();
        if (!Epoll.isAvailable()) {
            throw new IOException("the control API needs Netty's native epoll transport, which did not load: "
                    + Epoll.unavailabilityCause());
        }
        prepare(path);
        Path temporary = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid() + ".new");
        Files.deleteIfExists(temporary);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("vgw-control-api", true),
                EpollIoHandler.newFactory());
        ControlApi api = new ControlApi(gateway);
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ControlHandler.configure(ch.pipeline(), api, maxBody, requestTimeout);
                        }
                    })
                    .bind(new DomainSocketAddress(temporary.toFile()))
                    .sync()
                    .channel();
            try {
                Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
                Files.createLink(path, temporary);
            } catch (FileAlreadyExistsException e) {
                channel.close().sync();
                throw new IOException(path + " appeared while this gateway was starting: another gateway is "
                        + "starting on the same control socket; stop it or give this one another control.socket");
            } finally {
                Files.deleteIfExists(temporary);
            }
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            api.warmUp();
            return new ControlServer(path, group, channel, key);
        } catch (IOException | RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + path, e);
        }
    }

    /**
     * Makes the folder (0700) if missing; removes a dead daemon's socket; refuses a live one or a non-socket. A
     * daemon calls it before its slow start (DPDK) to fail early; {@link #start} calls it again.
     */
    public static void prepare(Path socket) throws IOException {
        Path parent = socket.getParent();
        if (!Files.isDirectory(parent)) {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException(socket + " exists and is not a socket; remove it or set another control.socket");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
        } catch (ConnectException e) {
            LOG.info("replacing {}: a socket nobody answers on (a gateway that did not stop cleanly)", socket);
            Files.deleteIfExists(socket);
            return;
        }
        throw new IOException("another process (a running gateway?) answers on " + socket + "; stop it first, "
                + "or give this gateway another control.socket");
    }

    public Path socket() {
        return socket;
    }

    /** Stops accepting, closes the event loop and removes the socket file (if it is still this server's). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        try {
            if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS) && Objects.equals(fileKey,
                    Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey())) {
                Files.delete(socket);
            }
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", socket, e.toString());
        }
    }
}
