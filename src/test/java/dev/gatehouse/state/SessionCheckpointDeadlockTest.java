package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.TestPostgres;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The state writer saves its progress on every shard's row inside long transactions while the checkpoint
 * thread saves delivery marks for the same shards in the opposite order: neither may ever fail with a
 * deadlock (PostgreSQL SQLSTATE 40P01), and both kinds of marks must be what was written last.
 */
class SessionCheckpointDeadlockTest {
    private static final int SHARDS = 24;
    private static final int ROUNDS = 150;

    @Test
    void progressAndDeliveryCheckpointsNeverDeadlock() throws Exception {
        String url = TestPostgres.freshDatabase();
        try (Database db = Database.open(url, TestPostgres.server().user(), "", 4)) {
            SessionStore store = new SessionStore(db.dataSource());
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int round = 1; round <= ROUNDS; round++) {
                        List<SessionStore.Progress> progress = new ArrayList<>();
                        for (int shard = 0; shard < SHARDS; shard++) {
                            progress.add(new SessionStore.Progress(shard, new Session("s" + shard, "ws://x", SHARDS, "ws://g"), round));
                        }
                        Collections.shuffle(progress);
                        try (Connection c = db.dataSource().getConnection()) {
                            c.setAutoCommit(false);
                            SessionStore.saveStored(c, 0, progress);
                            Thread.sleep(2); // the writer's transaction also writes rows: it holds its locks a while
                            c.commit();
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            Thread checkpoints = Thread.ofPlatform().start(() -> {
                try {
                    for (int round = 1; round <= ROUNDS * 2; round++) {
                        Map<Integer, Handled.Mark> marks = new TreeMap<>(Collections.reverseOrder());
                        for (int shard = SHARDS - 1; shard >= 0; shard--) {
                            marks.put(shard, new Handled.Mark("s" + shard, round));
                        }
                        store.checkpointDelivered(marks);
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            writer.join();
            checkpoints.join();
            assertTrue(errors.isEmpty(), "no deadlock or other failure: " + errors);
            Map<Integer, SessionStore.Stored> stored = store.load();
            assertEquals(SHARDS, stored.size());
            for (SessionStore.Stored s : stored.values()) {
                assertEquals(ROUNDS, s.storedSeq(), "shard " + s.shardId() + " progress");
                assertEquals(ROUNDS * 2, s.deliveredSeq(), "shard " + s.shardId() + " delivered");
            }
        }
    }
}
