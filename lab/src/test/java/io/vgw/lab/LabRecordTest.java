package io.vgw.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vgw.config.load.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabRecordTest {
    @TempDir
    Path tmp;

    static LabRecord record(String prefix) {
        LabPlan plan = LabPlan.of(prefix, ConfigLoader.load(Path.of("../examples")).config());
        LabProcess gateway = LabProcess.of("lb1", prefix + "-lb1", List.of("vgw", "gateway", "--config", "lb1.yaml"))
                .readyWhenFileExists(Path.of("/run/vgw-lab/" + prefix + "/lb1.sock")).started(ProcessHandle.current().pid());
        return new LabRecord(prefix, "/srv/config", plan, plan.namespaces(), plan.links(), List.of(prefix + "-lb1"),
                List.of(LabProcess.of("rs11", prefix + "-rs11", List.of("vgw", "lab", "serve")).readyWhenListening(8080), gateway));
    }

    @Test
    void readsBackWhatWasWritten() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("lab"));
        LabRecord written = record("lab");
        written.write(dir);
        assertEquals(Optional.of(written), LabRecord.read(dir));
        assertTrue(written.process("lb1").running(), "this very JVM, recorded with its start time");
        assertEquals(Optional.empty(), LabRecord.read(tmp), "no record, no lab");
    }

    @Test
    void aRestartedProcessKeepsItsPlace() {
        LabRecord r = record("lab");
        LabProcess again = r.process("rs11").started(ProcessHandle.current().pid());
        assertEquals(List.of("rs11", "lb1"), r.with(again).processes().stream().map(LabProcess::name).toList());
        assertEquals(again, r.with(again).process("rs11"));
        var e = assertThrows(LabException.class, () -> r.process("lb9"));
        assertEquals("lab 'lab' runs no program 'lb9'; it runs: rs11, lb1", e.getMessage());
    }

    /** A damaged or forged record must not make down remove or signal anything outside the lab. */
    @Test
    void refusesARecordThatNamesAnythingOutsideTheLab() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("lab"));
        String json = Files.readString(write(dir, record("lab")));
        for (String forged : List.of(json.replace("\"lab-lb1\"", "\"other-lb1\""), json.replace("\"lab-rs11\"", "\"../../etc\""),
                json.replaceFirst("\"prefix\" : \"lab\"", "\"prefix\" : \"other\""))) {
            Files.writeString(dir.resolve(LabRecord.FILE), forged);
            assertThrows(LabException.class, () -> LabRecord.read(dir), forged);
        }
        Files.writeString(dir.resolve(LabRecord.FILE), "{\"prefix\": [");
        assertTrue(assertThrows(LabException.class, () -> LabRecord.read(dir)).getMessage().contains("is not a lab record"));
        Files.write(dir.resolve(LabRecord.FILE), new byte[(int) LabRecord.MAX_BYTES * 10]);
        assertTrue(assertThrows(LabException.class, () -> LabRecord.read(dir)).getMessage().contains("over 1048576 bytes"));
    }

    private static Path write(Path dir, LabRecord r) {
        r.write(dir);
        return dir.resolve(LabRecord.FILE);
    }
}
