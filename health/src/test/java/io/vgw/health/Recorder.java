package io.vgw.health;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A listener that keeps everything, for tests to wait on (bounded waits, never sleeps). */
final class Recorder implements HealthListener {
    record Probed(Target target, Result result, long latenessNanos) {}

    final BlockingQueue<Probed> probes = new LinkedBlockingQueue<>();
    final List<List<Transition>> batches = new CopyOnWriteArrayList<>();
    final BlockingQueue<Transition> transitions = new LinkedBlockingQueue<>();

    @Override
    public void probed(Target target, Result result, long latenessNanos) {
        probes.add(new Probed(target, result, latenessNanos));
    }

    @Override
    public void changed(List<Transition> batch) {
        batches.add(batch);
        transitions.addAll(batch);
    }

    Result next() throws InterruptedException {
        Probed p = probes.poll(10, TimeUnit.SECONDS);
        assertNotNull(p, "no probe result within 10 s");
        return p.result();
    }

    Transition nextTransition() throws InterruptedException {
        Transition t = transitions.poll(10, TimeUnit.SECONDS);
        assertNotNull(t, "no state change within 10 s");
        return t;
    }
}
