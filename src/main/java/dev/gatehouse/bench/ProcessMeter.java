package dev.gatehouse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a process costs, read from outside: CPU time (its own, and its descendants' such as an embedded
 * PostgreSQL's server processes) from Linux's {@code /proc}, peak resident memory, and a JVM's live heap after
 * a full collection from {@code jcmd GC.class_histogram}.
 */
final class ProcessMeter {
    /** Clock ticks per second of /proc's CPU times; 100 on every Linux this runs on, asked once. */
    private static final double TICKS = ticks();

    private ProcessMeter() {
    }

    /** CPU seconds (user + system) the process has used so far; 0 when it is gone. */
    static double cpuSeconds(long pid) {
        return cpuSeconds(pid, false);
    }

    /**
     * CPU seconds of a process, with {@code reaped} those of its children that ended and were waited for too
     * (cutime, cstime): a postmaster's ended backends and autovacuum workers.
     */
    static double cpuSeconds(long pid, boolean reaped) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        if (stat == null) {
            return 0;
        }
        // fields after the command's closing parenthesis: state is field 3, utime 14, stime 15, cutime 16, cstime 17
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        if (reaped) {
            ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
        }
        return ticks / TICKS;
    }

    /**
     * CPU seconds so far of every live thread of a process, by thread id, with the thread's name: the JVM's own
     * (untruncated) name from {@code javaNames} when it has one, else the kernel's 15-character one.
     */
    static Map<Long, ThreadCpu> cpuByThread(long pid, Map<Long, String> javaNames) {
        Map<Long, ThreadCpu> by = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String stat = read(t.resolve("stat"));
                if (stat == null) {
                    continue;
                }
                long tid = Long.parseLong(t.getFileName().toString());
                String name = javaNames.getOrDefault(tid, stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                by.put(tid, new ThreadCpu(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS));
            }
        } catch (IOException e) {
            return Map.of();
        }
        return by;
    }

    /** One thread's name and CPU seconds so far. */
    record ThreadCpu(String name, double seconds) {
    }

    /**
     * The JVM's thread names by native thread id, from {@code jcmd <pid> Thread.print} (Java threads, and the
     * compiler, GC and VM threads, each with {@code nid=}); empty when jcmd cannot say (not a JVM).
     */
    static Map<Long, String> javaThreadNames(Path jcmd, long pid) {
        return threadNamesOf(jcmd(jcmd, pid, "Thread.print"));
    }

    /** The thread names by native id of a {@code Thread.print} text (its lines {@code "name" ... nid=N ...}). */
    static Map<Long, String> threadNamesOf(String threadPrint) {
        Map<Long, String> names = new HashMap<>();
        for (String line : threadPrint.split("\n")) {
            int close = line.startsWith("\"") ? line.indexOf('"', 1) : -1;
            int nid = line.indexOf(" nid=");
            if (close < 0 || nid < 0) {
                continue;
            }
            int end = nid + 5;
            while (end < line.length() && !Character.isWhitespace(line.charAt(end))) {
                end++;
            }
            String id = line.substring(nid + 5, end);
            try {
                names.put(id.startsWith("0x") ? Long.parseLong(id.substring(2), 16) : Long.parseLong(id), line.substring(1, close));
            } catch (NumberFormatException e) {
                // not a thread line
            }
        }
        return names;
    }

    /**
     * CPU seconds per thread role between two readings of {@link #cpuByThread}: a thread's role by its name
     * ({@link #threadRole}); threads that started in between count whole, and the process's CPU that no thread
     * still alive at the end accounts for is "exited threads".
     */
    static Map<String, Double> cpuByRole(Map<Long, ThreadCpu> before, Map<Long, ThreadCpu> after, double processSeconds) {
        Map<String, Double> by = new HashMap<>();
        double sum = 0;
        for (Map.Entry<Long, ThreadCpu> e : after.entrySet()) {
            ThreadCpu b = before.get(e.getKey());
            double d = e.getValue().seconds() - (b == null ? 0 : b.seconds());
            by.merge(threadRole(e.getValue().name()), d, Double::sum);
            sum += d;
        }
        if (processSeconds - sum > 0.005) {
            by.merge("exited threads", processSeconds - sum, Double::sum);
        }
        return by;
    }

    /**
     * The role of a thread by its name: Gatehouse's own threads by what they do, HotSpot's compiler and GC threads,
     * the JDK HTTP client's; any other name with its trailing numbers dropped (pool members together).
     */
    static String threadRole(String name) {
        if (name.startsWith("C2 CompilerThre")) {
            return "C2 compiler";
        }
        if (name.startsWith("C1 CompilerThre")) {
            return "C1 compiler";
        }
        if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
            return "GC";
        }
        if (name.startsWith("HttpClient-")) {
            return "HttpClient";
        }
        String[][] roles = {
            {"gatehouse-io-", "shard io (Netty)"}, {"gatehouse-cluster-", "cluster workers"},
            {"gatehouse-ring-state", "ring: state writer"}, {"gatehouse-ring-delivery", "ring: delivery consumer"},
            {"gatehouse-ring-tap-", "ring: taps (API)"}, {"gatehouse-ring-reclaimer", "ring: slot reclaimer"}, {"gatehouse-state-db", "state db thread"},
            {"gatehouse-delivery-", "delivery lanes"}, {"ForkJoinPool", "ForkJoinPool (virtual threads)"},
        };
        for (String[] r : roles) {
            if (name.startsWith(r[0])) {
                return r[1];
            }
        }
        return name.replaceAll("[-#_ ]*[0-9]+$", "");
    }

    /** The kind of a HotSpot thread by its (15-character) OS name: "jit", "gc" or "other". */
    static String threadKind(String osName) {
        if (osName.startsWith("C1 CompilerThre") || osName.startsWith("C2 CompilerThre")) {
            return "jit";
        }
        if (osName.startsWith("GC Thread") || osName.startsWith("G1 ") || osName.startsWith("VM Thread")) {
            return "gc";
        }
        return "other";
    }

    /** CPU seconds of every live descendant of {@code pid} (not the process itself). */
    static double descendantsCpuSeconds(long pid) {
        double sum = 0;
        for (long child : descendants(pid)) {
            sum += cpuSeconds(child);
        }
        return sum;
    }

    /**
     * CPU seconds of the PostgreSQL server whose data directory is {@code dataDir} and of all its server processes
     * (pg_ctl detaches the postmaster from whoever started it, so it is found by its command line, not as a child):
     * the live ones, and those that ended (an autovacuum worker, a backend the pool retired), which the postmaster
     * reaped: without them a process that ended within the window took its whole CPU out of the difference.
     */
    static double postgresCpuSeconds(Path dataDir) {
        String dir = dataDir.toAbsolutePath().toString();
        double sum = 0;
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String cmdline = read(d.resolve("cmdline"));
                if (cmdline != null && isPostmaster(cmdline, dir)) {
                    long pid = Long.parseLong(name);
                    sum += cpuSeconds(pid, true) + descendantsCpuSeconds(pid);
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return sum;
    }

    /**
     * Whether a /proc command line (arguments separated by NUL) is the postmaster of {@code dataDir}: the program
     * is {@code postgres} and one argument names the directory. Gatehouse's own JVM names the directory too
     * ({@code --db.dataDir=...gatehouse-postgres}), and counting it made "its PostgreSQL" include the process's CPU
     * a second time.
     */
    static boolean isPostmaster(String cmdline, String dataDir) {
        String[] args = cmdline.split("\0");
        String program = args[0].substring(args[0].lastIndexOf('/') + 1);
        if (!program.equals("postgres")) {
            return false;
        }
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals(dataDir) || args[i].endsWith("=" + dataDir)) {
                return true;
            }
        }
        return false;
    }

    /** Every live descendant, from /proc's parent links. */
    static List<Long> descendants(long pid) {
        Map<Long, List<Long>> children = new HashMap<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String stat = read(d.resolve("stat"));
                if (stat == null) {
                    continue;
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                children.computeIfAbsent(Long.parseLong(f[1]), k -> new ArrayList<>()).add(Long.parseLong(name));
            }
        } catch (IOException e) {
            return List.of();
        }
        List<Long> out = new ArrayList<>();
        List<Long> todo = new ArrayList<>(children.getOrDefault(pid, List.of()));
        while (!todo.isEmpty()) {
            long p = todo.remove(todo.size() - 1);
            out.add(p);
            todo.addAll(children.getOrDefault(p, List.of()));
        }
        return out;
    }

    /** Peak resident set (VmHWM) in bytes; 0 when unknown. */
    static long peakRssBytes(long pid) {
        String status = read(Path.of("/proc", Long.toString(pid), "status"));
        if (status == null) {
            return 0;
        }
        for (String line : status.split("\n")) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    /** Live heap of a JVM after the full collection {@code GC.class_histogram} makes; -1 when jcmd cannot say. */
    static long liveHeapBytes(Path jcmd, long pid) {
        return liveHeapBytes(classHistogram(jcmd, pid));
    }

    /** The text of {@code jcmd <pid> GC.class_histogram} (a full collection first); empty when jcmd cannot say. */
    static String classHistogram(Path jcmd, long pid) {
        return jcmd(jcmd, pid, "GC.class_histogram");
    }

    /** The output of {@code jcmd <pid> <command...>}; empty when jcmd cannot say. */
    static String jcmd(Path jcmd, long pid, String... command) {
        List<String> cmd = new java.util.ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
        cmd.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The total bytes of a class histogram's last line; -1 when it has none. */
    static long liveHeapBytes(String histogram) {
        for (String line : histogram.split("\n")) {
            String t = line.trim();
            if (t.startsWith("Total")) {
                String[] f = t.split("\\s+");
                return Long.parseLong(f[2]);
            }
        }
        return -1;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return null;
        }
    }

    private static double ticks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Double.parseDouble(out);
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
