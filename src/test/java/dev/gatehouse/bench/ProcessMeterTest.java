package dev.gatehouse.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL server of a data directory is found by its command line: the postmaster that pg_ctl started, not
 * Gatehouse's JVM, whose command line names the same directory (which made the peers bench count the JVM's CPU
 * twice, once as "its PostgreSQL").
 */
class ProcessMeterTest {
    private static final String DIR = "/tmp/gatehouse-peers-1/gatehouse-postgres";

    private static String cmdline(String... args) {
        return String.join("\0", args) + "\0";
    }

    @Test
    void thePostmasterOfTheDirectoryIsTheServer() {
        assertTrue(ProcessMeter.isPostmaster(cmdline("/tmp/gatehouse-postgres-17.6.0-1/bin/postgres", "-D", DIR, "-p", "5432",
                "-c", "listen_addresses=127.0.0.1"), DIR));
        assertTrue(ProcessMeter.isPostmaster(cmdline("postgres", "-D", DIR), DIR));
    }

    @Test
    void gatehousesJvmNamingTheDirectoryIsNot() {
        assertFalse(ProcessMeter.isPostmaster(cmdline("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java", "-jar", "target/gatehouse.jar",
                "run", "--db.dataDir=" + DIR, "--db.url="), DIR));
    }

    @Test
    void anotherDirectorysServerIsNot() {
        assertFalse(ProcessMeter.isPostmaster(cmdline("/opt/bin/postgres", "-D", DIR + "-other"), DIR));
        assertFalse(ProcessMeter.isPostmaster(cmdline("/opt/bin/postgres", "-D", "/var/lib/postgresql"), DIR));
    }
}
