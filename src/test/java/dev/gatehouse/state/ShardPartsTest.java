package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Rows of {@code gatehouse_shard_part} left by a split that no longer exists (the processes were re-split, or split
 * another totalShards): a starting process neither resumes from them nor lets them close a reshard early.
 */
class ShardPartsTest {
    private static final ApplicationId BOT = new ApplicationId(7);
    private static final long LEASE_MS = 60_000;

    @Test
    void rowsOfAnEarlierSplitNeitherCloseAReshardNorAreResumed() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            // an earlier split 0..1 / 2..3 of 4, and one before it with 1..2, all long stopped at 8 shards
            stale(db, 4, 0, 1, 8);
            stale(db, 4, 2, 3, 8);
            stale(db, 4, 1, 2, 8);
            // now re-split 0..0 / 1..3 of 4, both configured with totalShards=4; the first starts
            ShardSets low = new ShardSets(db.dataSource(), BOT, new ShardSets.Part(4, 0, 0));
            assertEquals(Optional.empty(), low.recorded(), "the new range has no row of its own yet");
            low.record(4, 4, LEASE_MS);
            assertEquals(List.of("4:0..0@4", "4:1..2@8", "4:2..3@8"), rows(db), "the row overlapping 0..0 is dropped at start");

            ReshardRuns runs = new ReshardRuns(db.dataSource(), BOT, 4);
            ReshardRuns.Open open = runs.lead(4, 8, "low", 30_000);
            low.switchTo(8, List.of());
            assertFalse(runs.finish(open), "the stale rows at 8 cover residues 1..3 but no process of them runs: 1..3 has not"
                    + " switched, the reshard stays open");
            assertEquals("loading", phase(db));

            ShardSets high = new ShardSets(db.dataSource(), BOT, new ShardSets.Part(4, 1, 3));
            high.record(4, 4, LEASE_MS);
            assertEquals(List.of("4:0..0@8", "4:1..3@4"), rows(db), "the second process drops what overlaps 1..3");
            assertFalse(runs.finish(open));
            high.switchTo(8, List.of());
            assertTrue(runs.finish(open), "every residue switched");
            assertEquals("switched", phase(db));

            // re-split back to 0..1 / 2..3: the old rows were dropped, so nothing stale is resumed
            ShardSets back = new ShardSets(db.dataSource(), BOT, new ShardSets.Part(4, 0, 1));
            assertEquals(Optional.empty(), back.recorded());
        }
    }

    @Test
    void rowsOfAnotherTotalShardsAreDroppedOnceTheirLeaseRanOut() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            stale(db, 2, 0, 0, 4); // a split of totalShards=2, stopped long ago
            new ShardSets(db.dataSource(), BOT, new ShardSets.Part(2, 1, 1)).record(2, 2, LEASE_MS); // one still running
            ShardSets part = new ShardSets(db.dataSource(), BOT, new ShardSets.Part(4, 0, 1));
            part.record(4, 4, LEASE_MS);
            assertEquals(List.of("2:1..1@2", "4:0..1@4"), rows(db), "the lapsed row of modulus 2 is gone, the live one is left");
            assertTrue(part.keepAlive(LEASE_MS));
            new ShardSets(db.dataSource(), BOT, new ShardSets.Part(4, 1, 3)).record(4, 4, LEASE_MS);
            assertFalse(part.keepAlive(LEASE_MS), "an overlapping range dropped this process's row: keepAlive says so");
        }
    }

    @Test
    void aReshardLeftOpenByASplitOfAnotherTotalShardsIsNotFollowed() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            new ReshardRuns(db.dataSource(), BOT, 2).lead(2, 8, "old split", 30_000); // its processes were stopped mid-reshard
            ReshardRuns now = new ReshardRuns(db.dataSource(), BOT, 4);
            assertEquals(Optional.empty(), now.open(), "processes splitting 4 do not follow a reshard of the split of 2");
            ReshardRuns.Open open = now.lead(4, 8, "new split", 30_000);
            assertEquals(4, open.fromShards(), "a new trigger opens its own reshard");
            assertEquals(Optional.of(open), now.open());
        }
    }

    @Test
    void aProcessRunningEveryShardDropsEveryPart() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            new ShardSets(db.dataSource(), BOT, new ShardSets.Part(2, 0, 0)).record(4, 2, LEASE_MS);
            new ShardSets(db.dataSource(), BOT, new ShardSets.Part(2, 1, 1)).record(4, 2, LEASE_MS);
            ShardSets whole = new ShardSets(db.dataSource(), BOT);
            assertEquals(Optional.empty(), whole.recorded(), "the parts' count is not the whole bot's");
            whole.record(2, 2, LEASE_MS);
            assertEquals(List.of(), rows(db));
            assertEquals(Optional.of(new ShardSets.Recorded(2, 2)), whole.recorded());
        }
    }

    /** A part row of a split whose processes stopped a day ago. */
    private static void stale(Database db, int modulus, int first, int last, int total) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement("""
                INSERT INTO gatehouse_shard_part (application_id, modulus, first_residue, last_residue, total_shards,
                    configured_shards, switched_at, alive_until)
                VALUES (?, ?, ?, ?, ?, ?, now() - interval '1 day', now() - interval '1 day')""")) {
            ps.setLong(1, BOT.id());
            ps.setInt(2, modulus);
            ps.setInt(3, first);
            ps.setInt(4, last);
            ps.setInt(5, total);
            ps.setInt(6, modulus);
            ps.executeUpdate();
        }
    }

    private static List<String> rows(Database db) throws Exception {
        TreeSet<String> out = new TreeSet<>();
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT modulus, first_residue, last_residue, total_shards FROM gatehouse_shard_part WHERE application_id = ?")) {
            ps.setLong(1, BOT.id());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getInt(1) + ":" + rs.getInt(2) + ".." + rs.getInt(3) + "@" + rs.getInt(4));
                }
            }
        }
        return List.copyOf(out);
    }

    private static String phase(Database db) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT phase FROM gatehouse_reshard WHERE application_id = ?")) {
            ps.setLong(1, BOT.id());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
