package io.vgw.config;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** A whole desired state: one cluster and its services, sorted by name so equal configs are equal records. */
public record Config(ClusterConfig cluster, List<ServiceConfig> services) {
    public Config {
        services = List.copyOf(services.stream().sorted(Comparator.comparing(ServiceConfig::name)).toList());
    }

    public Optional<ServiceConfig> service(String name) {
        return services.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
