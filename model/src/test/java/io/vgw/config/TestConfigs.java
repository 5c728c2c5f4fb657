package io.vgw.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.load.ConfigLoader;
import io.vgw.config.load.SourceFile;
import java.util.ArrayList;
import java.util.List;

/** Configs for tests, written as YAML like an operator would. */
public final class TestConfigs {
    /** A one-node cluster. */
    public static final String CLUSTER = """
            cluster: t
            ospf: {area: 0.0.0.0}
            nodes:
              - {name: lb1, router_id: 10.255.0.1, interface: eth0, address: 100.64.1.2}
            """;

    private TestConfigs() {}

    /** Loads files given as path, text, path, text, ... */
    public static ConfigLoader.Result load(String... pathsAndTexts) {
        List<SourceFile> files = new ArrayList<>();
        for (int i = 0; i < pathsAndTexts.length; i += 2) files.add(new SourceFile(pathsAndTexts[i], pathsAndTexts[i + 1]));
        return ConfigLoader.load("cfg", files);
    }

    /** The cluster plus one file per service text, which must be valid. */
    public static Config config(String... services) {
        List<String> files = new ArrayList<>(List.of("cluster.yaml", CLUSTER));
        for (int i = 0; i < services.length; i++) files.addAll(List.of("s" + i + ".yaml", services[i]));
        ConfigLoader.Result r = load(files.toArray(String[]::new));
        assertTrue(r.ok(), r.problems()::toString);
        return r.config();
    }
}
