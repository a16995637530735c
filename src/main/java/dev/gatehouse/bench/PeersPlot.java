package dev.gatehouse.bench;

import java.util.List;
import java.util.Locale;

/** The peers bench's figure: CPU per event and heap per shard of each consumer, as bars side by side, in SVG. */
final class PeersPlot {
    private static final String[] COLOURS = {"#2b7bb9", "#e07b39", "#4a9c5d", "#8c6bb1"};

    private PeersPlot() {
    }

    static String svg(List<PeersBench.Result> results, int shards, int rate) {
        StringBuilder s = new StringBuilder();
        int width = 760, height = 340;
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\""
                + " font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n", width, height));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">Same simulator firehose"
                + " (%d shards, %d events/s offered), each consumer in its own process</text>%n", width / 2, shards, rate));
        double[] cpu = new double[results.size()];
        double[] heap = new double[results.size()];
        String[] labels = new String[results.size()];
        for (int i = 0; i < results.size(); i++) {
            PeersBench.Result r = results.get(i);
            cpu[i] = r.cpuMicrosPerEvent() + r.databaseCpuMicrosPerEvent();
            heap[i] = r.heapAfterGcBytes() / 1048576.0 / shards;
            labels[i] = r.peer().startsWith("gatehouse") ? r.peer() + " + PostgreSQL" : r.peer();
        }
        panel(s, 40, "CPU per event (us)", cpu, labels, results, true);
        panel(s, 410, "live heap per shard after GC (MiB)", heap, labels, results, false);
        s.append("</svg>\n");
        return s.toString();
    }

    private static void panel(StringBuilder s, int x0, String title, double[] values, String[] labels, List<PeersBench.Result> results,
                              boolean stackDatabase) {
        int top = 60, bottom = 280, w = 310;
        double max = 0;
        for (double v : values) {
            max = Math.max(max, v);
        }
        max = max <= 0 ? 1 : max * 1.15;
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"48\" text-anchor=\"middle\">%s</text>%n", x0 + w / 2, title));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", x0, bottom, x0 + w, bottom));
        int n = values.length;
        int bar = Math.min(60, w / Math.max(1, n) - 20);
        for (int i = 0; i < n; i++) {
            int x = x0 + 10 + i * (w / Math.max(1, n));
            double h = values[i] / max * (bottom - top);
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>%n", x, bottom - h, bar, h,
                    COLOURS[i % COLOURS.length]));
            PeersBench.Result r = results.get(i);
            if (stackDatabase && r.databaseCpuMicrosPerEvent() > 0) {
                double hd = r.databaseCpuMicrosPerEvent() / max * (bottom - top);
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#9ecae1\"/>%n", x,
                        bottom - h, bar, hd));
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\">PostgreSQL</text>%n", x + bar + 2,
                        bottom - h + 10));
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%.1f</text>%n", x + bar / 2, bottom - h - 4,
                    values[i]));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%s</text>%n", x + bar / 2,
                    bottom + 16, labels[i]));
        }
    }
}
