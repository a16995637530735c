package dev.gatehouse;

import dev.gatehouse.control.Reshard;
import dev.gatehouse.state.ReshardRuns;
import dev.gatehouse.state.ShardSets;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The processes splitting one bot's shards, met in {@code gatehouse_reshard}: this process leads the reshard its
 * trigger opens, follows one another process opened (once per opening), and tells how its own part went.
 */
final class ReshardPeers implements Reshard.Peers {
    /** How long an open reshard waits for its leader to renew the lease before another process may open a new one. */
    static final long LEASE_MS = 30_000;
    /** How long a process whose part of a reshard failed waits before it joins that reshard again. */
    static final long REJOIN_MS = LEASE_MS;
    /** The lease of this process's row in {@code gatehouse_shard_part}: rows of a split no longer running lapse. */
    static final long PART_LEASE_MS = 60_000;
    /** How often the part's lease is renewed (from the follow poll). */
    static final long PART_RENEW_MS = 10_000;
    /** The first wait before recording a switch again that failed to record (a database blip); doubles up to 30 s. */
    static final long FINISH_RETRY_MS = 1_000;
    static final long FINISH_RETRY_MAX_MS = 30_000;

    private static final System.Logger LOG = System.getLogger(ReshardPeers.class.getName());

    private final ReshardRuns runs;
    private final ShardSets part;
    private final String me;
    private long renewedAt = System.nanoTime();
    /** A switch of this part that could not be recorded yet: retried from the follow poll. */
    private volatile Optional<ReshardRuns.Open> unfinished = Optional.empty();
    /** The wait before the next attempt after a failed one; 0 before any failed. */
    private long finishWaitMs;
    private long finishRetryAt;
    private int finishAttempts;
    private volatile Optional<ReshardRuns.Open> joined = Optional.empty();
    private volatile long followed;
    /** {@code System.nanoTime()} before which a reshard whose part failed here is not joined again. */
    private volatile long rejoinAt = System.nanoTime();

    ReshardPeers(ReshardRuns runs, ShardSets part, String me) {
        this.runs = runs;
        this.part = part;
        this.me = me;
    }

    /** Renews this process's part lease every {@link #PART_RENEW_MS} (control thread, from the follow poll). */
    private void keepPartAlive() {
        if (System.nanoTime() - renewedAt < PART_RENEW_MS * 1_000_000L) {
            return;
        }
        renewedAt = System.nanoTime();
        try {
            if (!part.keepAlive(PART_LEASE_MS)) {
                LOG.log(System.Logger.Level.WARNING, "shards: this process's row in gatehouse_shard_part is gone: another process"
                        + " with an overlapping firstShardId..lastShardId dropped it as stale; give each process its own range");
            }
        } catch (java.sql.SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "shards: cannot renew this process's part lease (" + e.getMessage()
                    + "); trying again in " + PART_RENEW_MS / 1000 + " s");
        }
    }

    @Override
    public int lead(int from, int to) throws Exception {
        ReshardRuns.Open open = runs.lead(from, to, me, LEASE_MS);
        joined = Optional.of(open);
        followed = open.generation();
        return open.toShards();
    }

    @Override
    public OptionalInt follow(int running) throws Exception {
        keepPartAlive();
        retryFinish();
        if (System.nanoTime() - rejoinAt < 0) {
            return OptionalInt.empty();
        }
        Optional<ReshardRuns.Open> open = runs.open();
        if (open.isEmpty() || open.get().generation() == followed) {
            return OptionalInt.empty();
        }
        followed = open.get().generation();
        if (open.get().toShards() == running) {
            finish(open.get()); // this part runs that count already (a restart after its switch)
            return OptionalInt.empty();
        }
        joined = open;
        return OptionalInt.of(open.get().toShards());
    }

    @Override
    public void loading() throws Exception {
        keepPartAlive(); // the follow poll pauses while this process's part of a reshard runs
        Optional<ReshardRuns.Open> open = joined;
        if (open.isPresent() && open.get().leader().equals(me)) {
            runs.renew(open.get(), LEASE_MS);
        }
    }

    @Override
    public void switched() throws Exception {
        Optional<ReshardRuns.Open> open = joined;
        joined = Optional.empty(); // done with it: a later trigger's failure must not touch it
        if (open.isPresent()) {
            finish(open.get());
        }
    }

    /**
     * Records that this part switched (closing the reshard if it was the last part); when that fails, keeps it to be
     * retried from the follow poll with a doubling wait, and throws for the caller to log. The switch itself is
     * committed: only the others' view of it waits (without it the reshard would stay open until its lease ran out).
     */
    private void finish(ReshardRuns.Open open) throws Exception {
        unfinished = Optional.of(open);
        finishWaitMs = 0;
        finishAttempts = 0;
        finishRetryAt = System.nanoTime();
        attemptFinish();
    }

    private void retryFinish() {
        if (unfinished.isEmpty() || System.nanoTime() - finishRetryAt < 0) {
            return;
        }
        try {
            attemptFinish();
            LOG.log(System.Logger.Level.INFO, "reshard: recorded this part's switch for the other processes after "
                    + finishAttempts + " attempts");
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "reshard: still cannot record this part's switch for the other processes ("
                    + e.getMessage() + "), attempt " + finishAttempts + "; retrying in " + finishWaitMs / 1000.0 + " s");
        }
    }

    private void attemptFinish() throws Exception {
        ReshardRuns.Open open = unfinished.orElseThrow();
        finishAttempts++;
        try {
            runs.finish(open);
            unfinished = Optional.empty();
        } catch (Exception e) {
            finishWaitMs = finishWaitMs == 0 ? FINISH_RETRY_MS : Math.min(finishWaitMs * 2, FINISH_RETRY_MAX_MS);
            finishRetryAt = System.nanoTime() + finishWaitMs * 1_000_000L;
            throw e;
        }
    }

    @Override
    public void failed() throws Exception {
        // only the reshard this run joined: a trigger refused before it led anything (identify budget) must not abort
        // an earlier reshard this process led and switched while other processes still load their parts
        Optional<ReshardRuns.Open> open = joined;
        joined = Optional.empty();
        if (open.isEmpty()) {
            return;
        }
        if (open.get().leader().equals(me)) {
            runs.abort(open.get());
        } else {
            // a follower's part failed (budget, a new set that could not start): join the same reshard again later,
            // or it would stay open for ever with this part on the old count
            followed = 0;
            rejoinAt = System.nanoTime() + REJOIN_MS * 1_000_000L;
        }
    }
}
