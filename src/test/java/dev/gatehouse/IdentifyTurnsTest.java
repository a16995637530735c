package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.state.Database;
import dev.gatehouse.state.IdentifyTurns;
import org.junit.jupiter.api.Test;

/**
 * Identify turns shared through PostgreSQL are claimed before the identify is sent: a claim reserves the bucket
 * for a send budget, so a second process cannot claim the bucket early while the first one's send is late, and
 * the turn counts from the send once it happens. Two IdentifyTurns on one database are two processes.
 */
class IdentifyTurnsTest {
    private static final long INTERVAL_MS = 300;
    private static final long BUDGET_MS = 3_000;

    @Test
    void aClaimReservesTheBucketUntilItsIdentifyIsSentOrTheBudgetEnds() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            IdentifyTurns first = new IdentifyTurns(db.dataSource(), BUDGET_MS);
            IdentifyTurns second = new IdentifyTurns(db.dataSource(), BUDGET_MS);
            assertEquals(0, first.claim(0, 16, INTERVAL_MS), "a fresh bucket is free");
            Thread.sleep(INTERVAL_MS * 2);
            // the first process's identify is late: without the reservation the interval would have freed the bucket
            long wait = second.claim(0, 16, INTERVAL_MS);
            assertTrue(wait > 0, "the bucket is still reserved for the first process's late identify, got wait " + wait);
            assertEquals(0, second.claim(1, 16, INTERVAL_MS), "another bucket is not affected");
            first.sent(0, 16);
            long afterSend = second.claim(0, 16, INTERVAL_MS);
            assertTrue(afterSend > 0 && afterSend <= INTERVAL_MS, "the turn now counts from the send: wait " + afterSend);
            Thread.sleep(INTERVAL_MS + 50);
            assertEquals(0, second.claim(0, 16, INTERVAL_MS), "one interval after the send the bucket is free");
        }
    }

    @Test
    void aSendLaterThanTheBudgetCountsAsSentAtTheBudgetsEnd() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            IdentifyTurns first = new IdentifyTurns(db.dataSource(), 200);
            IdentifyTurns second = new IdentifyTurns(db.dataSource(), 200);
            assertEquals(0, first.claim(0, 16, INTERVAL_MS));
            Thread.sleep(200 + INTERVAL_MS + 50);
            assertEquals(0, second.claim(0, 16, INTERVAL_MS), "the reservation and the interval after it are over");
            first.sent(0, 16); // too late: the second process's reservation stands
            assertTrue(first.claim(0, 16, INTERVAL_MS) > 0, "the late send did not take the second process's turn away");
        }
    }
}
