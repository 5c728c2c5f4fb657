package io.vgw.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * What {@code vgw lab up} made, kept as {@code lab.json} in the lab's run folder and rewritten at every step (so a
 * half-built lab is recorded too). {@code status}, {@code restart} and {@code down} read it instead of the config:
 * they work from any folder, whatever the config says today, and {@code down} removes exactly what is recorded.
 *
 * <p>Everything named here lives under the prefix ({@code <prefix>-*} namespaces and DPDK file prefixes), which
 * {@link #read} checks: a damaged record cannot make {@code down} remove anything else.
 *
 * @param config           the config folder the lab was built from (absolute); gateways re-read it when restarted
 * @param namespaces       created (or about to be: up refuses when any exists already)
 * @param dpdkFilePrefixes the gateways' EAL --file-prefix; DPDK keeps a run folder per prefix in /var/run/dpdk
 * @param processes        in start order
 */
public record LabRecord(String prefix, String config, LabPlan plan, List<String> namespaces,
                        List<LabPlan.Link> links, List<String> dpdkFilePrefixes, List<LabProcess> processes) {
    static final String FILE = "lab.json";
    /** A record of a lab with hundreds of programs is well under this; a bigger file is not ours. */
    static final long MAX_BYTES = 1 << 20;
    static final Path DPDK_RUN = Path.of("/var/run/dpdk");
    private static final JsonMapper JSON = JsonMapper.shared();

    public LabRecord {
        namespaces = List.copyOf(namespaces);
        links = List.copyOf(links);
        dpdkFilePrefixes = List.copyOf(dpdkFilePrefixes);
        processes = List.copyOf(processes);
    }

    /** The program of this name, or an error that lists the lab's programs. */
    public LabProcess process(String name) {
        return processes.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow(() -> new LabException(
                "lab '" + prefix + "' runs no program '" + name + "'; it runs: "
                        + String.join(", ", processes.stream().map(LabProcess::name).toList())));
    }

    /** This record with the process added, or replacing the one of the same name. */
    LabRecord with(LabProcess process) {
        List<LabProcess> next = new ArrayList<>(processes);
        next.removeIf(p -> p.name().equals(process.name()));
        int at = processes.stream().map(LabProcess::name).toList().indexOf(process.name());
        next.add(at < 0 ? next.size() : at, process);
        return new LabRecord(prefix, config, plan, namespaces, links, dpdkFilePrefixes, next);
    }

    /** Writes lab.json into the folder atomically: a reader sees the old record or the new one. */
    void write(Path dir) {
        try {
            Path temporary = dir.resolve(FILE + ".new");
            Files.writeString(temporary, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this));
            Files.move(temporary, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The record in a lab's run folder; empty when there is none. */
    static Optional<LabRecord> read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) return Optional.empty();
        try {
            if (Files.size(file) > MAX_BYTES) throw new LabException(file + " is over " + MAX_BYTES + " bytes: not a lab record");
            LabRecord r = JSON.readValue(Files.readString(file), LabRecord.class);
            r.check(dir.getFileName().toString(), file);
            return Optional.of(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (JacksonException | NullPointerException e) {
            throw new LabException(file + " is not a lab record (" + e.getMessage() + "); remove the lab's namespaces "
                    + "(ip netns list) and that folder by hand");
        }
    }

    /** Everything the record names must be this lab's: under its prefix, and processes and links in its namespaces. */
    private void check(String folder, Path file) {
        if (!prefix.equals(folder)) throw new LabException(file + " is the record of lab '" + prefix + "', not '" + folder + "'");
        String pattern = java.util.regex.Pattern.quote(folder) + "-[a-z0-9-]{1,63}";
        List<String> names = new ArrayList<>(namespaces);
        names.addAll(dpdkFilePrefixes);
        processes.forEach(p -> names.add(p.namespace()));
        links.forEach(l -> names.addAll(List.of(l.namespace(), l.peerNamespace())));
        for (String name : names) {
            if (!name.matches(pattern) || (!dpdkFilePrefixes.contains(name) && !namespaces.contains(name))) {
                throw new LabException(file + " names '" + name + "', which is not one of the namespaces of lab '"
                        + folder + "': not touching it; remove the lab's namespaces and that folder by hand");
            }
        }
    }

    /** DPDK's run folder for one of the gateways' file prefixes. */
    static Path dpdkRunFolder(String filePrefix) {
        return DPDK_RUN.resolve(filePrefix);
    }
}
