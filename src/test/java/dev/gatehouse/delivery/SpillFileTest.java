package dev.gatehouse.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The spill's segment files: order, acknowledgement, segment rolling and deletion, reopening, torn tails. */
class SpillFileTest {

    private static Pending event(int i) {
        byte[] body = ("{\"shardId\":1,\"data\":{\"s\":" + i + ",\"pad\":\"" + "x".repeat(i % 50) + "\"}}").getBytes(StandardCharsets.UTF_8);
        return new Pending(i, 1, "session", i, "MESSAGE_CREATE", body, 0, -1, i % 3 == 0 ? "audit" : "");
    }

    private static List<Long> readAll(Spill s) {
        List<Long> seqs = new ArrayList<>();
        List<Pending> batch = new ArrayList<>();
        do {
            batch.clear();
            s.read(7, batch);
            batch.forEach(p -> seqs.add(p.seq()));
        } while (!batch.isEmpty());
        return seqs;
    }

    @Test
    void recordsComeBackInOrderAcrossSegmentsAndRestarts() throws IOException {
        Path dir = Files.createTempDirectory("spill");
        Spill s = new Spill(dir, 1024);
        for (int i = 1; i <= 200; i++) {
            s.append(event(i));
            if (i % 10 == 0) {
                s.sync(); // segments roll between writes (a write is one ring batch)
            }
        }
        assertTrue(Files.list(dir).filter(f -> f.toString().endsWith(".seg")).count() > 5, "segments rolled");
        List<Pending> first = new ArrayList<>();
        s.read(50, first);
        assertEquals(50, first.size());
        assertEquals(1, first.get(0).seq());
        assertEquals("session", first.get(0).sessionId());
        assertEquals("audit", first.get(2).destination());
        assertEquals("", first.get(3).destination());
        assertEquals(new String(event(1).body(), StandardCharsets.UTF_8), new String(first.get(0).body(), StandardCharsets.UTF_8));
        s.acknowledge(first.get(49).spillEnd());
        s.close();

        Spill again = new Spill(dir, 1024);
        List<Long> rest = readAll(again);
        assertEquals(150, rest.size(), "what was not acknowledged comes again, and only that");
        for (int i = 0; i < 150; i++) {
            assertEquals(51 + i, rest.get(i));
        }
        for (int i = 201; i <= 210; i++) {
            again.append(event(i));
        }
        List<Long> more = readAll(again);
        assertEquals(10, more.size());
        assertEquals(201, more.get(0));
        List<Pending> none = new ArrayList<>();
        again.read(10, none);
        assertTrue(none.isEmpty());
        again.rewind();
        List<Long> replay = readAll(again);
        assertEquals(160, replay.size(), "a rewind reads again from the acknowledged position");
        again.close();
    }

    @Test
    void buffersAreHeldOnlyWhileTheSpillHoldsRecords() throws IOException {
        Spill s = new Spill(Files.createTempDirectory("spill"), 1024);
        assertEquals(0, s.bufferBytes(), "a lane that never spills holds no buffers");
        for (int i = 1; i <= 30; i++) {
            s.append(event(i));
        }
        assertTrue(s.bufferBytes() > 0, "appending takes the write buffer");
        List<Pending> batch = new ArrayList<>();
        s.read(20, batch);
        s.acknowledge(batch.get(19).spillEnd());
        assertTrue(s.bufferBytes() > 0, "records left: the buffers stay");
        batch.clear();
        s.read(20, batch);
        assertEquals(10, batch.size());
        s.acknowledge(batch.get(9).spillEnd());
        assertEquals(0, s.bufferBytes(), "drained: both buffers dropped");
        s.append(event(31));
        batch.clear();
        s.read(5, batch);
        assertEquals(List.of(31L), batch.stream().map(Pending::seq).toList(), "a later spill takes them again");
        s.close();
    }

    @Test
    void aTornLastRecordIsCutOffAtOpen() throws IOException {
        Path dir = Files.createTempDirectory("spill");
        Spill s = new Spill(dir);
        for (int i = 1; i <= 10; i++) {
            s.append(event(i));
        }
        s.close();
        Path seg;
        try (var files = Files.list(dir)) {
            seg = files.filter(f -> f.toString().endsWith(".seg")).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 5); // a crash in the middle of the last record
        }
        Spill again = new Spill(dir);
        List<Long> seqs = readAll(again);
        assertEquals(9, seqs.size());
        again.append(event(11));
        assertEquals(List.of(11L), readAll(again), "appends continue after the cut");
        again.close();
    }

    @Test
    void aRecordWhoseChecksumDoesNotMatchIsNeverDelivered() throws IOException {
        Path dir = Files.createTempDirectory("spill");
        Spill s = new Spill(dir);
        for (int i = 1; i <= 3; i++) {
            s.append(event(i));
        }
        s.sync();
        Path seg;
        try (var files = Files.list(dir)) {
            seg = files.filter(f -> f.toString().endsWith(".seg")).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'#'}), 40); // inside the first record's body, on disk
        }
        List<Pending> batch = new ArrayList<>();
        org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class, () -> s.read(10, batch));
        assertTrue(batch.isEmpty(), "nothing read past a corrupt record: " + batch);
        s.close();
    }
}
