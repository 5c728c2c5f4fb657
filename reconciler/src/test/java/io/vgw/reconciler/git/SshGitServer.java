package io.vgw.reconciler.git;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.List;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.command.AbstractCommandSupport;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.UploadPack;

/**
 * A real SSH server on a loopback port (Apache MINA sshd, in-process) that serves {@code git-upload-pack} for the
 * repositories under one folder with JGit's UploadPack; only public-key login with the keys in an authorized_keys file.
 */
final class SshGitServer implements AutoCloseable {
    private final SshServer server;
    private final KeyPair hostKey;

    SshGitServer(Path root, Path authorizedKeys) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        hostKey = generator.generateKeyPair();
        server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        server.setPublickeyAuthenticator(new AuthorizedKeysAuthenticator(authorizedKeys));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setCommandFactory((channel, command) -> new UploadPackCommand(root, command));
        server.start();
    }

    int port() {
        return server.getPort();
    }

    String url(String repository) {
        return "ssh://git@127.0.0.1:" + port() + "/" + repository;
    }

    /** The known_hosts line that makes a client trust this server. */
    String knownHostsLine() {
        return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(hostKey.getPublic());
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }

    private static final class UploadPackCommand extends AbstractCommandSupport {
        private final Path root;

        UploadPackCommand(Path root, String command) {
            super(command, null);
            this.root = root;
        }

        @Override
        public void run() {
            List<String> words = List.of(getCommand().split(" ", 2));
            if (words.size() != 2 || !words.get(0).equals("git-upload-pack")) {
                onExit(127, "only git-upload-pack is served");
                return;
            }
            String name = words.get(1).replace("'", "").replaceAll("^/+", "");
            try (Repository repo = new FileRepositoryBuilder().setGitDir(root.resolve(name).toFile()).setMustExist(true)
                    .build()) {
                new UploadPack(repo).upload(getInputStream(), getOutputStream(), getErrorStream());
                onExit(0);
            } catch (IOException | RuntimeException e) {
                onExit(1, String.valueOf(e.getMessage()));
            }
        }
    }
}
