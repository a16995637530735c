package dev.gatehouse.sim;

import org.junit.jupiter.api.AfterEach;

/** A simulator per test with the probe token and no identify interval, closed after the test. */
abstract class SimulatorTestBase {
    static final String TOKEN = "probe-token";
    Simulator sim;

    /** Starts the simulator with these options, the probe token and identifies allowed back to back. */
    void startSimulator(SimOptions o) throws Exception {
        sim = new Simulator(o.withToken(TOKEN).withLimits(16, 0, 41250, 2500, true));
    }

    @AfterEach
    void stopSimulator() {
        if (sim != null) {
            sim.close();
        }
    }
}
