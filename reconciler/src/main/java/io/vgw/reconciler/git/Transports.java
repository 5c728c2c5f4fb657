package io.vgw.reconciler.git;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.SshConfigStore;
import org.eclipse.jgit.transport.SshConstants;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;
import org.eclipse.jgit.util.FS;

/**
 * How a {@link GitMirror} reaches its remote: the ssh session factory (Apache MINA sshd, configured only from
 * {@link RemoteSettings}, never from {@code ~/.ssh/config}, never interactive), http(s) credentials and the timeout.
 */
final class Transports implements TransportConfigCallback, AutoCloseable {
    private final RemoteSettings remote;
    private final SshdSessionFactory ssh;
    private final CredentialsProvider credentials;

    private Transports(RemoteSettings remote, SshdSessionFactory ssh, CredentialsProvider credentials) {
        this.remote = remote;
        this.ssh = ssh;
        this.credentials = credentials;
    }

    static Transports of(RemoteSettings remote) throws GitException {
        CredentialsProvider credentials = null;
        if (remote.passwordFile() != null) {
            String password;
            try {
                password = Files.readString(remote.passwordFile(), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new GitException("cannot read the password file " + remote.passwordFile() + ": " + e.getMessage()
                        + "; check repository.http.password_file in reconcile.yaml", e);
            }
            credentials = new UsernamePasswordCredentialsProvider(
                    remote.username() == null ? "git" : remote.username(), password);
        }
        for (Path file : new Path[] {remote.knownHosts(), remote.identity()}) {
            if (file != null && !Files.isReadable(file)) {
                throw new GitException("cannot read " + file + "; check repository.ssh in reconcile.yaml");
            }
        }
        return new Transports(remote, sshSessions(remote), credentials);
    }

    private static SshdSessionFactory sshSessions(RemoteSettings remote) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put(SshConstants.STRICT_HOST_KEY_CHECKING, "yes"); // an unknown host is refused, never asked about
        options.put(SshConstants.BATCH_MODE, "yes");
        options.put(SshConstants.PREFERRED_AUTHENTICATIONS, "publickey");
        options.put(SshConstants.CONNECT_TIMEOUT, Long.toString(Math.max(1, remote.timeout().toSeconds())));
        Map<String, List<String>> lists = new LinkedHashMap<>(); // the options ssh_config allows several values for
        if (remote.knownHosts() != null) {
            lists.put(SshConstants.USER_KNOWN_HOSTS_FILE, List.of(remote.knownHosts().toAbsolutePath().toString()));
            lists.put(SshConstants.GLOBAL_KNOWN_HOSTS_FILE, List.of("none"));
        }
        if (remote.identity() != null) {
            lists.put(SshConstants.IDENTITY_FILE, List.of(remote.identity().toAbsolutePath().toString()));
            options.put(SshConstants.IDENTITIES_ONLY, "yes");
        }
        File home = FS.DETECTED.userHome();
        SshdSessionFactoryBuilder builder = new SshdSessionFactoryBuilder()
                .setHomeDirectory(home).setSshDirectory(new File(home, SshConstants.SSH_DIR))
                .setConfigStoreFactory((homeDir, configFile, localUser) -> new FixedConfig(options, lists))
                .setPreferredAuthentications("publickey");
        return builder.build(null);
    }

    int timeoutSeconds() {
        return (int) Math.max(1, remote.timeout().toSeconds());
    }

    CredentialsProvider credentials() {
        return credentials;
    }

    @Override
    public void configure(Transport transport) {
        if (transport instanceof SshTransport sshTransport) sshTransport.setSshSessionFactory(ssh);
    }

    /** What to do about a failed fetch, from what failed. */
    String hint(String failure) {
        if (failure.contains("Server key did not validate")) {
            return "the ssh host key is not in " + (remote.knownHosts() == null ? "~/.ssh/known_hosts" : remote.knownHosts())
                    + ": check the server's key fingerprint, then add it (ssh-keyscan -p PORT HOST >> known_hosts)";
        }
        if (failure.contains("Cannot log in")) {
            return "the ssh server refused the key " + (remote.identity() == null ? "in ~/.ssh" : remote.identity())
                    + ": add its public key to the Git host as a read-only deploy key";
        }
        if (failure.contains("not authorized") || failure.contains("uthentication")) {
            return "the http server wants credentials: set repository.http.username and password_file in"
                    + " reconcile.yaml";
        }
        return "check that the remote is reachable and answers";
    }

    /** The causes of a transport failure in one line: JGit's top message alone often hides the useful part. */
    static String describe(Throwable e) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = e; t != null && parts.size() < 4; t = t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (parts.stream().noneMatch(p -> p.contains(message))) parts.add(message);
        }
        return String.join(": ", parts);
    }

    @Override
    public void close() {
        ssh.close();
    }

    /** The same options for every host: the settings are per remote, and a mirror has one remote. */
    private record FixedConfig(Map<String, String> options, Map<String, List<String>> lists) implements SshConfigStore {
        @Override
        public HostConfig lookup(String hostName, int port, String userName) {
            Map<String, String> all = new LinkedHashMap<>(options);
            all.put(SshConstants.HOST_NAME, hostName);
            if (port > 0) all.put(SshConstants.PORT, Integer.toString(port));
            if (userName != null) all.put(SshConstants.USER, userName);
            return new HostConfig() {
                @Override
                public String getValue(String key) {
                    return all.get(key);
                }

                @Override
                public List<String> getValues(String key) {
                    return lists.getOrDefault(key, List.of());
                }

                @Override
                public Map<String, String> getOptions() {
                    return all;
                }

                @Override
                public Map<String, List<String>> getMultiValuedOptions() {
                    return lists;
                }
            };
        }

        @Override
        public HostConfig lookupDefault(String hostName, int port, String userName) {
            return lookup(hostName, port, userName);
        }
    }
}
