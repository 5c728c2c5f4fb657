package io.vgw.config.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.schema.CoreSchema;

class YamlReaderTest {
    /** The shortcut for digits and addresses must tag every scalar as the 1.2 core schema does. */
    @Test
    void resolverTagsAsTheCoreSchema() {
        var core = new CoreSchema().getScalarResolver();
        List<String> values = List.of("", "0", "7", "00", "0080", "65537", "123456789012345678901234", "10.0.0.1",
                "198.18.0.1", "1.2.3", "1..2", "1.", "1.5", "0.5e3", ".5", "..5", "1e5", "1.e5", "+5", "-5", "-1.2.3",
                "0x1f", "0o17", "1_000", "1:2", "1.2.3.4.5", "10.0.0.1/24", "1 2", "١٢", ".inf", ".nan", "~", "null",
                "true", "False", "tcp", "s123", "<<", "${HOME}", "2s", "500ms", "1.2.x");
        for (String v : values) {
            for (boolean implicit : new boolean[] {true, false}) {
                assertEquals(core.resolve(v, implicit), YamlReader.RESOLVER.resolve(v, implicit), "'" + v + "' implicit=" + implicit);
            }
        }
    }
}
