package io.vgw.health;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A non-blocking TCP socket that probes reuse, one connection after another, registered once with the event loop's
 * epoll (edge-triggered, for everything a probe waits for). A connection ends with {@link #reset} (an http probe may
 * first keep it for its target's next probes, see {@link Probe}):
 * connect(AF_UNSPEC) is tcp_disconnect, what close(2) does with SO_LINGER 0 (RST if connected, no TIME_WAIT), but
 * the socket stays, so the next probe's connection is one connect(2): no socket(2), setsockopt, epoll_ctl or
 * close(2), and none of the kernel's work to build and free a socket, file and epoll item each time. The socket is
 * bound once to a local port of its own from the ephemeral range ({@link Ports}), which it keeps across its
 * connections: a connect then only checks that its four-tuple is free, where an unbound socket's searched the range
 * for a port and hashed it into the bind tables, and the reset took it out again (about 6 % of the checker's
 * thread, perf, 10,000 http probes a second; what is left is the bind table's source-address update at connect and
 * reset, unless a source address is bound too). So a socket's connections all come from its port, and a target may see
 * its next probe from the port of its last one: each ended with RST, so neither side keeps the four-tuple (should a
 * RST be lost, the server's stale half answers the next SYN with an ACK, which gets a RST; that probe may time out
 * once). The kernel keeps the initial sequence number of a reused socket's next connection past its previous one's
 * instead of drawing a random one: with the port known too, a spoofer who could forge a server's SYN-ACK would find
 * it easier to guess (checks run inside a trusted management network; a new server is a new connection anyway).
 * Events that come while no probe owns the socket (the reset's own) are ignored: a new connect(2) clears the
 * socket's pending error, so they cannot leak into the next probe.
 *
 * <p>The handshake's last ACK is held back until data is sent (TCP_DEFER_ACCEPT on a connecting socket does that):
 * an http request carries it, and a tcp probe, done once the SYN-ACK came, resets the connection before it is ever
 * sent: SYN, SYN-ACK, RST, as HAProxy's plain tcp checks do. The SYN-ACK proves what a tcp check is meant to prove
 * (the port listens and its accept queue has room: a listener whose queue is full drops SYNs); the server's
 * application never sees the probe, and neither side builds and tears down an established connection for it.
 */
final class ProbeSocket implements EpollIoHandle {
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_DEFER_ACCEPT = 9;
    private static final int TCP_FASTOPEN_NO_COOKIE = 34; // Linux 4.15
    private static final int SOL_IP = 0;
    private static final int IP_BIND_ADDRESS_NO_PORT = 24;
    private static final int EADDRINUSE = 98; // <errno.h>; Netty does not export it
    private static final EpollIoOps OPS = EpollIoOps.EPOLLOUT.with(EpollIoOps.EPOLLIN).with(EpollIoOps.EPOLLRDHUP)
            .with(EpollIoOps.EPOLLET);

    private static final InetAddress ANY = InetAddress.ofLiteral("0.0.0.0");

    final LinuxSocket socket;
    /** the socket may send data with its SYN without a Fast Open cookie (see {@link Probe}'s http connect) */
    final boolean fastOpen;
    private IoRegistration registration;
    /** the probe using the socket; null while it waits in the pool */
    Probe owner;

    private ProbeSocket(LinuxSocket socket) {
        this.socket = socket;
        boolean noCookie;
        try {
            socket.setIntOpt(IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, 1);
            noCookie = true;
        } catch (IOException e) { // an older kernel: its http probes connect, then write
            noCookie = false;
        }
        this.fastOpen = noCookie;
    }

    /**
     * A new socket bound to {@code source} (null: the route's address chosen at each connect) and a port of its own,
     * registered with the checker's loop.
     */
    static ProbeSocket open(IoEventLoop loop, InetAddress source, Ports ports) throws IOException {
        ProbeSocket s = new ProbeSocket(LinuxSocket.newSocketStream(false));
        try {
            s.socket.setSoLinger(0); // close(2) too sends RST
            s.socket.setIntOpt(IPPROTO_TCP, TCP_DEFER_ACCEPT, 1); // hold the handshake's last ACK (see above)
            s.bind(source, ports);
            var registered = loop.register(s); // done at once on the loop's own thread
            if (!registered.isSuccess()) throw new IOException("cannot register with the event loop", registered.cause());
            s.registration = registered.getNow();
            s.registration.submit(OPS); // the one epoll_ctl ADD
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Binds the next free port of the range (an explicit port stays bound across disconnects, see above); when
     * {@link Ports#TRIES} in a row are taken, no port: each connect then picks one, as an unbound socket's does.
     */
    private void bind(InetAddress source, Ports ports) throws IOException {
        InetAddress local = source != null ? source : ANY;
        for (int i = 0; i < Ports.TRIES; i++) {
            try {
                socket.bind(new InetSocketAddress(local, ports.next()));
                return;
            } catch (Errors.NativeIoException e) {
                if (e.expectedErr() != -EADDRINUSE) throw e;
            }
        }
        if (source != null) {
            socket.setIntOpt(SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1); // connect(2) picks the port, bind(2) only the address
            socket.bind(new InetSocketAddress(source, 0));
        }
    }

    /** Ends the connection (RST if there is one), ready for the next; false when that failed and it was closed. */
    boolean reset() {
        try {
            socket.disconnect();
            return true;
        } catch (IOException | RuntimeException e) {
            close();
            return false;
        }
    }

    @Override
    public FileDescriptor fd() {
        return socket;
    }

    @Override
    public void handle(IoRegistration r, IoEvent event) {
        if (owner != null) owner.handle(((EpollIoEvent) event).ops().value());
    }

    /** Close first: the kernel drops a closed socket from the epoll set, so the cancel needs no epoll_ctl DEL. */
    @Override
    public void close() {
        owner = null;
        try {
            socket.close(); // SO_LINGER 0: RST
        } catch (IOException e) {
            // the descriptor is released whatever close(2) says
        }
        if (registration != null) {
            registration.cancel();
            registration = null;
        }
    }

    /**
     * The local ports sockets are bound to: the namespace's ephemeral range (ip_local_port_range, read on the
     * checker's thread, which is in the namespace probes are sent from), handed out in turn from a random start.
     */
    static final class Ports {
        /** ports tried for one socket before it is left unbound */
        static final int TRIES = 64;
        private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        private final int low;
        private final int count;
        private int next;

        Ports(int low, int high) {
            this.low = low;
            this.count = high - low + 1;
            this.next = ThreadLocalRandom.current().nextInt(count);
        }

        /** The range of this thread's network namespace; the kernel's default when it cannot be read. */
        static Ports ofNamespace() {
            try {
                String[] f = Files.readString(RANGE).trim().split("\\s+");
                int lo = Integer.parseInt(f[0]);
                int hi = Integer.parseInt(f[1]);
                if (lo >= 1 && lo <= hi && hi <= 65535) return new Ports(lo, hi);
            } catch (IOException | RuntimeException e) {
                // not Linux's /proc, or not a range: the default below
            }
            return new Ports(32768, 60999);
        }

        int next() {
            int p = low + next;
            next = next + 1 == count ? 0 : next + 1;
            return p;
        }
    }
}
