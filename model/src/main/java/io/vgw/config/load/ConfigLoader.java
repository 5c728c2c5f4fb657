package io.vgw.config.load;

import io.vgw.config.ClusterConfig;
import io.vgw.config.Config;
import io.vgw.config.ServiceConfig;
import io.vgw.parallel.Parallel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;

/**
 * Files → validated {@link Config}: YAML with marks, then the JSON Schema, then the semantic rules. Every problem
 * found is reported (not just the first); a config is produced only when there are none.
 */
public final class ConfigLoader {
    /** A file's size limit, in chars: the loader refuses a bigger one, the control API refuses it while reading. */
    public static final int MAX_FILE_CHARS = YamlReader.MAX_FILE_CHARS;

    /** The outcome: exactly one of config and problems is meaningful. */
    public record Result(Config config, List<Problem> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private ConfigLoader() {}

    /**
     * Compiles the service and cluster schemas on a background thread, so that a load started a little later finds
     * them ready: a short command (`vgw validate`) overlaps this with its own start-up. A failure here is left for
     * the load to report.
     */
    public static void prepareSchemas() {
        Thread.ofPlatform().daemon().name("vgw-schemas").start(() -> {
            try {
                SchemaCheck.Kind.SERVICE.schema();
                SchemaCheck.Kind.CLUSTER.schema();
            } catch (RuntimeException e) {
                // the load compiles it again and reports the problem with its file
            }
        });
    }

    /**
     * @param label names the whole config (a directory, or repo@revision) in problems that belong to no file
     */
    public static Result load(String label, List<SourceFile> files) {
        return load(label, files, null);
    }

    /**
     * As {@link #load(String, List)}, reading through {@code memo}: a file another load through the same memo read
     * (same path, same text) is not read again. Two sides of a diff share all but a few files.
     */
    public static Result load(String label, List<SourceFile> files, Memo memo) {
        List<Problem> problems = new ArrayList<>();
        List<Semantics.Located<ServiceConfig>> services = new ArrayList<>();
        List<Semantics.Located<ClusterConfig>> clusters = new ArrayList<>();
        boolean unreadable = false; // a document we could not read may be the cluster: don't also say it is missing
        // Files are independent until the rules across files: read them in parallel (10,000 services in seconds).
        for (FileResult file : Parallel.map(files, f -> memo == null ? read(f) : memo.read(f))) {
            problems.addAll(file.problems);
            services.addAll(file.services);
            clusters.addAll(file.clusters);
            unreadable |= file.unreadable;
        }
        Semantics.services(services, problems);
        if (clusters.isEmpty() && !unreadable) {
            problems.add(new Problem(label, 1, 1, "cluster",
                    "no cluster document found; add one (e.g. cluster.yaml, see examples/cluster.yaml)"));
        }
        for (int i = 1; i < clusters.size(); i++) {
            problems.add(clusters.get(i).doc().at("cluster", "a second cluster document; the first is at "
                    + clusters.getFirst().doc().where("cluster") + " (a config describes one cluster)"));
        }
        if (!clusters.isEmpty()) Semantics.cluster(clusters.getFirst().doc(), services, problems);
        if (!problems.isEmpty()) return new Result(null, problems.stream().sorted().toList());
        return new Result(new Config(clusters.getFirst().value(),
                services.stream().map(Semantics.Located::value).toList()), List.of());
    }

    /** Files read by earlier loads, by path and text. Safe to share between threads. */
    public static final class Memo {
        private final Map<SourceFile, FileResult> read = new ConcurrentHashMap<>();

        private FileResult read(SourceFile file) {
            FileResult known = read.get(file);
            if (known != null) return known;
            FileResult fresh = ConfigLoader.read(file);
            read.put(file, fresh);
            return fresh;
        }

        /** Forgets every file but these: a memo that lives long keeps what the next load shares, not all it saw. */
        public void retain(Collection<SourceFile> files) {
            read.keySet().retainAll(new HashSet<>(files));
        }
    }

    /** What one file holds, before the rules across files (shared by loads through one {@link Memo}: never changed). */
    private record FileResult(List<Problem> problems, List<Semantics.Located<ServiceConfig>> services,
                              List<Semantics.Located<ClusterConfig>> clusters, boolean unreadable) {}

    private static FileResult read(SourceFile file) {
        List<Problem> problems = new ArrayList<>();
        List<Semantics.Located<ServiceConfig>> services = new ArrayList<>();
        List<Semantics.Located<ClusterConfig>> clusters = new ArrayList<>();
        List<Document> documents = YamlReader.read(file, problems);
        boolean unreadable = !problems.isEmpty();
        for (Document doc : documents) {
            SchemaCheck.Kind kind = kindOf(doc, problems);
            if (kind == null) {
                unreadable = true;
                continue;
            }
            int before = problems.size();
            // a service with schema errors is still checked for its other problems, minus the rejected values
            Optional<Document> checkable = SchemaCheck.check(doc, kind, problems);
            if (kind == SchemaCheck.Kind.CLUSTER) {
                if (problems.size() > before) unreadable = true;
                else clusters.add(new Semantics.Located<>(Binder.cluster(doc.root()), doc));
            } else if (checkable.isPresent()) {
                var located = new Semantics.Located<>(Binder.service(checkable.get().root()), checkable.get());
                Semantics.service(located, problems);
                services.add(located);
            }
        }
        return new FileResult(problems, services, clusters, unreadable);
    }

    /** One node-local settings document (gateway.yaml): the schema-checked tree, or the problems. */
    public record Settings(JsonNode root, List<Problem> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** Reads a gateway daemon's settings file, checked against schemas/gateway.schema.json. */
    public static Settings loadGatewaySettings(SourceFile file) {
        return loadSettings(file, SchemaCheck.Kind.GATEWAY);
    }

    /** Reads a reconciler daemon's settings file, checked against schemas/reconcile.schema.json. */
    public static Settings loadReconcileSettings(SourceFile file) {
        return loadSettings(file, SchemaCheck.Kind.RECONCILE);
    }

    private static Settings loadSettings(SourceFile file, SchemaCheck.Kind kind) {
        List<Problem> problems = new ArrayList<>();
        List<Document> documents = YamlReader.read(file, problems);
        if (problems.isEmpty() && documents.size() != 1) {
            problems.add(new Problem(file.path(), 1, 1, "(document)", "expected exactly one YAML document"));
        }
        if (!problems.isEmpty()) return new Settings(null, problems);
        Document doc = documents.getFirst();
        if (!doc.root().isObject() || !doc.root().has(kind.key)) {
            problems.add(doc.at("", "a " + kind.key + " settings file starts with '" + kind.key + ": <node name>'"));
        } else {
            SchemaCheck.check(doc, kind, problems);
        }
        return new Settings(problems.isEmpty() ? doc.root() : null, problems.stream().sorted().toList());
    }

    /** Reads every *.yaml and *.yml file under a directory (hidden folders skipped), then {@link #load}. */
    public static Result load(Path directory) {
        return load(directory.toString(), readDirectory(directory));
    }

    /**
     * The config files under a directory, sorted by path. One walk that takes each file's type from the directory
     * listing and skips hidden folders (.git) whole, then the files read in parallel: `vgw apply` of 10,000 files
     * spent a second here, single-threaded, while the gateway waited for the request.
     */
    public static List<SourceFile> readDirectory(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException(directory + " is not a directory");
        }
        List<Path> found = new ArrayList<>();
        try {
            Files.walkFileTree(directory, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return dir.equals(directory) || !hidden(dir) ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    // a link to a file counts, as it did for Files.isRegularFile
                    boolean regular = attrs.isRegularFile() || attrs.isSymbolicLink() && Files.isRegularFile(file);
                    if (regular && isConfigFile(file) && !hidden(file)) found.add(file);
                    return FileVisitResult.CONTINUE;
                }
            });
            found.sort(null);
            return Parallel.map(found, p -> {
                try {
                    return new SourceFile(directory.relativize(p).toString().replace('\\', '/'), decode(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            IOException cause = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            throw new UncheckedIOException("cannot read " + directory + ": " + cause.getMessage(), cause);
        }
    }

    public static boolean isConfigFile(Path p) {
        String name = p.getFileName().toString();
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private static boolean hidden(Path path) {
        return path.getFileName().toString().startsWith(".");
    }

    /** UTF-8; invalid bytes become U+FFFD, which the YAML reader reports at their line and column. */
    public static String decode(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String decode(Path p) throws IOException {
        return decode(Files.readAllBytes(p));
    }

    private static SchemaCheck.Kind kindOf(Document doc, List<Problem> problems) {
        if (!doc.root().isObject()) {
            problems.add(doc.at("", "a document must be a mapping starting with 'service:' or 'cluster:'"));
            return null;
        }
        for (SchemaCheck.Kind kind : new SchemaCheck.Kind[] {SchemaCheck.Kind.SERVICE, SchemaCheck.Kind.CLUSTER}) {
            if (doc.root().has(kind.key)) return kind;
        }
        problems.add(doc.at("", "unknown document: expected a 'service:' or a 'cluster:' key (see schemas/)"));
        return null;
    }
}
