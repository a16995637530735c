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

    private static final System.Logger LOG = System.getLogger(ReshardPeers.class.getName());

    private final ReshardRuns runs;
    private final ShardSets part;
    private final String me;
    private long renewedAt = System.nanoTime();
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
        if (System.nanoTime() - rejoinAt < 0) {
            return OptionalInt.empty();
        }
        Optional<ReshardRuns.Open> open = runs.open();
        if (open.isEmpty() || open.get().generation() == followed) {
            return OptionalInt.empty();
        }
        followed = open.get().generation();
        if (open.get().toShards() == running) {
            runs.finish(open.get()); // this part runs that count already (a restart after its switch)
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
            runs.finish(open.get());
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
