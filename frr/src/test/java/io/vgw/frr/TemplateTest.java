package io.vgw.frr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateTest {
    private static final Template T = Template.of("""
            a {{x}}
            {{#flag}}
            flag on
            {{/flag}}
            {{#rows}}
             row {{n}} of {{x}}
            {{/rows}}
            end""");

    @Test
    void substitutesAndRepeats() {
        assertEquals("a 1\nflag on\n row 7 of 1\n row 8 of 1\nend\n",
                T.render(Map.of("x", 1, "flag", true, "rows", List.of(Map.of("n", 7), Map.of("n", 8)))));
    }

    @Test
    void dropsFalseAbsentAndEmptyBlocks() {
        assertEquals("a 1\nend\n", T.render(Map.of("x", 1, "flag", false, "rows", List.of())));
        assertEquals("a 1\nend\n", T.render(Map.of("x", 1)));
    }

    @Test
    void aMissingValueIsAnErrorNotAnEmptyString() {
        var e = assertThrows(IllegalArgumentException.class, () -> T.render(Map.of("flag", true)));
        assertEquals("template value {{x}} is not set", e.getMessage());
    }

    @Test
    void anUnclosedBlockIsAnError() {
        assertThrows(IllegalStateException.class, () -> Template.of("{{#a}}\nx").render(Map.of("a", true)));
    }
}
