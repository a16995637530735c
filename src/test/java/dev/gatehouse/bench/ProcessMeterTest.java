package dev.gatehouse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The peers bench's CPU by thread role: the names jcmd's {@code Thread.print} gives by native id (Java threads and
 * HotSpot's own), each name's role, and a busy thread of this JVM whose CPU, read from /proc between two readings,
 * lands under its role by its full name; CPU of a thread that ended in between is the process's "exited threads".
 * And the PostgreSQL server of a data directory is found by its command line: the postmaster that pg_ctl started, not
 * Gatehouse's JVM, whose command line names the same directory (which made the peers bench count the JVM's CPU twice,
 * once as "its PostgreSQL").
 */
class ProcessMeterTest {
    @Test
    void threadPrintLinesGiveFullNamesByNativeIdAndNamesGiveRoles() {
        String print = """
                "main" #1 [4101] prio=5 os_prio=0 cpu=120.50ms elapsed=3.00s tid=0x00007f nid=4101 waiting on condition
                "gatehouse-ring-state" #30 [4130] daemon prio=5 os_prio=0 cpu=10.00ms elapsed=2.00s tid=0x00007e nid=4130 runnable
                "C2 CompilerThread0" #9 [4109] daemon prio=9 os_prio=0 cpu=900.00ms elapsed=3.00s tid=0x00007d nid=4109 runnable
                "GC Thread#0" os_prio=0 cpu=5.00ms elapsed=3.00s tid=0x00007c nid=0x1006 runnable
                   java.lang.Thread.State: RUNNABLE
                """;
        Map<Long, String> names = ProcessMeter.threadNamesOf(print);
        assertEquals(Map.of(4101L, "main", 4130L, "gatehouse-ring-state", 4109L, "C2 CompilerThread0", 0x1006L, "GC Thread#0"), names);
        assertEquals("ring: state writer", ProcessMeter.threadRole("gatehouse-ring-state"));
        assertEquals("ring: delivery consumer", ProcessMeter.threadRole("gatehouse-ring-delivery"));
        assertEquals("ring: taps (API)", ProcessMeter.threadRole("gatehouse-ring-tap-0"));
        assertEquals("delivery lanes", ProcessMeter.threadRole("gatehouse-delivery-3"));
        assertEquals("HttpClient", ProcessMeter.threadRole("HttpClient-1-Worker-0"));
        assertEquals("C2 compiler", ProcessMeter.threadRole("C2 CompilerThread0"));
        assertEquals("GC", ProcessMeter.threadRole("GC Thread#0"));
        assertEquals("Some pool", ProcessMeter.threadRole("Some pool-12"));
    }

    @Test
    void aBusyThreadsCpuLandsUnderItsRoleAndAnEndedThreadsUnderExitedThreads() throws Exception {
        long pid = ProcessHandle.current().pid();
        AtomicBoolean run = new AtomicBoolean(true);
        double[] sink = new double[1];
        Thread busy = Thread.ofPlatform().daemon(true).name("gatehouse-delivery-0").start(() -> spin(run, sink));
        AtomicBoolean run2 = new AtomicBoolean(true);
        Thread ending = Thread.ofPlatform().daemon(true).name("gatehouse-ending").start(() -> spin(run2, sink));
        try {
            Thread.sleep(100);
            Map<Long, String> names = byKernelName(pid, Map.of("gatehouse-deliv", "gatehouse-delivery-0"));
            Map<Long, ProcessMeter.ThreadCpu> before = ProcessMeter.cpuByThread(pid, names);
            double cpu0 = ProcessMeter.cpuSeconds(pid);
            Thread.sleep(300);
            run2.set(false);
            ending.join();
            // a joined thread's kernel task may linger a moment in /proc: wait until it is gone
            for (int i = 0; i < 500 && !byKernelName(pid, Map.of("gatehouse-endin", "gatehouse-ending")).isEmpty(); i++) {
                Thread.sleep(10);
            }
            Map<Long, ProcessMeter.ThreadCpu> after = ProcessMeter.cpuByThread(pid, names);
            Map<String, Double> roles = ProcessMeter.cpuByRole(before, after, ProcessMeter.cpuSeconds(pid) - cpu0);
            assertTrue(roles.getOrDefault("delivery lanes", 0.0) > 0, roles.toString());
            assertTrue(roles.getOrDefault("exited threads", 0.0) > 0, roles.toString());
        } finally {
            run.set(false);
            busy.join();
        }
    }

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

    private static void spin(AtomicBoolean run, double[] sink) {
        double x = 1;
        while (run.get()) {
            x = Math.sqrt(x + 1);
        }
        sink[0] = x;
    }

    /** Thread ids of this process whose kernel (15-character) name is a key, mapped to the full name given. */
    private static Map<Long, String> byKernelName(long pid, Map<String, String> full) throws Exception {
        Map<Long, String> names = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String comm;
                try {
                    comm = Files.readString(t.resolve("comm")).strip();
                } catch (java.nio.file.NoSuchFileException ended) {
                    continue; // a thread that ended between the listing and the read
                }
                if (full.containsKey(comm)) {
                    names.put(Long.parseLong(t.getFileName().toString()), full.get(comm));
                }
            }
        }
        return names;
    }
}
