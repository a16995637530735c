package dev.gatehouse.control;

import dev.gatehouse.discord.ReadyGuilds;
import dev.gatehouse.pipeline.DispatchSink;
import dev.gatehouse.pipeline.GuildKind;
import dev.gatehouse.pipeline.Session;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * The exact hand-over of one reshard, between the old shard set (the source until the switch) and the new one.
 *
 * <p>While the new set loads, the old set publishes as usual and every dispatch it publishes is recorded per
 * guild, in order, by its {@link EventIdentity}; the new set's dispatches are buffered per shard, in seq order,
 * neither stored nor delivered. At the switch the old set is held (its shards keep the dispatches and pause
 * reading, as for a full ring), so its record is final. Each guild is on one shard in each set, so per guild the
 * new set's stream is a contiguous run of the world's events, and the old record is another that overlaps its
 * start: the new stream is aligned with the record, and from there each new event equal to the next recorded
 * one is dropped (the old set delivered it) until the record is used up or the streams differ; everything after
 * is passed on. Where they meet is fixed, exactly, by an event that happens once in the world (a message, a
 * join, a creation: see {@link #once}) found in both; a guild whose overlap holds none (presences, typings,
 * updates, which can repeat byte for byte) is aligned through such an event of another guild on the same old
 * and new shard, since each shard's stream is in the order Discord sent it; only without one does it fall
 * back to a long unique agreement, then to the arrival times of the two copies. Until the switch commits
 * only certain alignments are decided. The new set's READY and the GUILD_CREATEs of the guilds
 * its READY listed are its own, never passed on. Once every guild with a record is caught up (or after the
 * settle time), the switch is committed, the buffered events that passed go into the ring in order, and the
 * new set publishes into the ring directly.
 *
 * <p>All methods synchronize on this object; the cluster threads of both sets only ever take the lock briefly.
 */
final class HandOver {
    private static final System.Logger LOG = System.getLogger(HandOver.class.getName());

    enum Phase { RECORDING, HOLDING, DRAINING, LIVE, ABORTED }

    /** A dispatch of the new set, copied, with what the hand-over decided for it. */
    private static final class Held {
        final NewShard shard;
        final Session session;
        final long seq;
        final String type;
        final long guildId;
        final GuildKind kind;
        /** The frame; let go once the event is dropped while loading (the old set delivered it). */
        byte[] frame;
        final long receivedNanos;
        final EventIdentity identity;
        /** 0 undecided, 1 pass on, -1 drop. */
        int verdict;

        Held(NewShard shard, Session session, long seq, String type, long guildId, GuildKind kind, byte[] frame, long receivedNanos,
             EventIdentity identity) {
            this.shard = shard;
            this.session = session;
            this.seq = seq;
            this.type = type;
            this.guildId = guildId;
            this.kind = kind;
            this.frame = frame;
            this.receivedNanos = receivedNanos;
            this.identity = identity;
        }
    }

    /** One guild's alignment of the new stream with the old record. */
    private static final class Alignment {
        /** Next record entry the new stream must match; -1 before the first new event of the guild. */
        int cursor = -1;
        boolean done;
    }

    /** One shard of the new set. */
    private static final class NewShard {
        final int id;

        NewShard(int id) {
            this.id = id;
        }

        final ArrayDeque<Held> buffer = new ArrayDeque<>();
        /** The buffered events not decided yet (the buffer's tail). */
        final ArrayDeque<Held> undecided = new ArrayDeque<>();
        Session session;
        long readySeq = -1;
        final Set<Long> loading = new HashSet<>();
        /** Dropped seqs after READY, as ranges [first, last]. */
        final List<long[]> dropped = new ArrayList<>();
        boolean live;
    }

    private final DispatchSink oldTarget;
    private final DispatchSink ring;
    private final int oldTotal;
    /** True when the old set's shard has had a session (its guilds reached the bot); false after a 4011 at identify. */
    private final java.util.function.IntPredicate oldShardServed;
    private Phase phase = Phase.RECORDING;
    /** An event the old set published while recording, with when it arrived. */
    private record Recorded(EventIdentity identity, long receivedNanos, int shard, String session, long seq) {
    }

    /**
     * An event that happens once in the world, seen by both sets: where the old shard's stream (its session and
     * seq) and the new shard's (its seq) meet. Each stream is in the order Discord sent it, so per pair of shards
     * it orders the events of every guild the two share against each other, whatever the arrival times here.
     */
    private record Anchor(String oldSession, long oldSeq, long newSeq) {
    }

    /** The old set's recorded events that happen once, by identity. */
    private final Map<EventIdentity, Recorded> onceOld = new HashMap<>();
    /** The new set's buffered events that happen once, by identity. */
    private final Map<EventIdentity, Held> onceNew = new HashMap<>();
    /** Per (old shard, new shard), the latest anchor. */
    private final Map<Long, Anchor> anchors = new HashMap<>();

    /**
     * How far apart in time the two sets' copies of one event may arrive for a guild whose alignment only time can
     * tell (its events repeat, as presences of a small guild do), around the measured lag between the sets.
     */
    static final long TOLERANCE_NANOS = 200_000_000L;
    /** Aligned overlaps at least this long, with an event the record has once, are trusted without arrival times. */
    static final int TRUSTED_OVERLAP = 3;

    private final Map<Long, ArrayList<Recorded>> record = new HashMap<>();
    /** Arrival time of an event on the new set minus on the old set, from alignments that needed no time. */
    private final List<Long> lags = new ArrayList<>();
    private final Map<Long, Alignment> alignments = new HashMap<>();
    /** Per guild, the new set's buffered events not decided yet, in order. */
    private final Map<Long, ArrayDeque<Held>> pending = new HashMap<>();
    /** While loading, a guild's first events are aligned early only while there are at most this many. */
    static final int EARLY_ALIGN_MAX = 16;
    private final Map<Integer, NewShard> newShards = new HashMap<>();
    private final Set<String> oldSessions = new HashSet<>();
    private long recorded;
    private long droppedEvents;
    private long passedEvents;
    /** The new set's READYs (its own, never passed on) and buffered events a later READY of their shard made void. */
    private long readies;
    private long voided;
    /** The old set's dispatches offered after the switch (held by its shards at the hold): the new set has them. */
    private long afterSwitch;
    private long divergences;

    /**
     * @param oldTarget where the old set published before (the ring, or a restart's skip filter in front of it)
     * @param ring      the ring, where the new set's events go
     * @param oldTotal  the old set's shard count
     * @param oldShardServed whether an old shard ever had a session: the guilds of one that never had (closed
     *                  with 4011 at its identify) reach the bot through the new set's loads
     */
    HandOver(DispatchSink oldTarget, DispatchSink ring, int oldTotal, java.util.function.IntPredicate oldShardServed) {
        this.oldTarget = oldTarget;
        this.ring = ring;
        this.oldTotal = oldTotal;
        this.oldShardServed = oldShardServed;
    }

    /** Gatehouse's own signals in the stream (GATEHOUSE_SHARD_LOADED, GATEHOUSE_ALL_LOADED): no Discord event. */
    static boolean signal(String type) {
        return type.startsWith(SkipFilter.GATEHOUSE_SIGNAL);
    }

    /** The old set's side: publishes and records while recording, holds while switching, discards after. */
    final DispatchSink oldSide = this::fromOld;

    /** The new set's side: buffers until the switch, then (per shard, once drained) publishes directly. */
    final DispatchSink newSide = this::fromNew;

    private synchronized boolean fromOld(int shardId, Session session, long seq, String type, long guildId, GuildKind kind,
                                         byte[] buf, int off, int len, long receivedNanos) {
        switch (phase) {
            case RECORDING, ABORTED -> {
                if (!oldTarget.tryPublish(shardId, session, seq, type, guildId, kind, buf, off, len, receivedNanos)) {
                    return false;
                }
                if (phase == Phase.RECORDING) {
                    if (session != null) {
                        oldSessions.add(session.id());
                    }
                    if (!"READY".equals(type) && !"RESUMED".equals(type) && !signal(type)) {
                        Recorded x = new Recorded(EventIdentity.of(type, guildId, buf, off, len), receivedNanos, shardId,
                                session == null ? "" : session.id(), seq);
                        record.computeIfAbsent(guildId, g -> new ArrayList<>()).add(x);
                        if (once(type, kind)) {
                            onceOld.put(x.identity(), x);
                            Held h = onceNew.get(x.identity());
                            if (h != null) {
                                anchor(x, h);
                            }
                        }
                        if (pending.containsKey(guildId)) {
                            matchEarly(guildId); // the old set caught up with events the new set got first
                        }
                        recorded++;
                    }
                }
                return true;
            }
            case HOLDING -> {
                return false; // the shard holds it and pauses reading: nothing is lost if the switch fails
            }
            default -> {
                if (!signal(type)) {
                    afterSwitch++;
                }
                return true; // switched: the new set has it
            }
        }
    }

    private synchronized boolean fromNew(int shardId, Session session, long seq, String type, long guildId, GuildKind kind,
                                         byte[] buf, int off, int len, long receivedNanos) {
        NewShard s = newShards.computeIfAbsent(shardId, id -> new NewShard(id));
        if (s.live) {
            return ring.tryPublish(shardId, session, seq, type, guildId, kind, buf, off, len, receivedNanos);
        }
        if (phase == Phase.ABORTED) {
            return true;
        }
        if (signal(type)) {
            // the new set's GATEHOUSE_SHARD_LOADED / ALL_LOADED: loads of guilds the bot already has, not announced.
            // No seq is recorded as skipped: the signal carries the shard's last seq, it is no dispatch of its own
            return true;
        }
        if ("READY".equals(type)) {
            // a first READY, or a new session after an invalid one: what was buffered of the shard is void
            readies++;
            for (Held h : s.buffer) {
                if (h.verdict >= 0) {
                    voided++; // a dropped one (-1) is counted already
                    passedEvents -= h.verdict;
                }
            }
            anchors.keySet().removeIf(k -> (int) (k & 0xffffffffL) == s.id);
            onceNew.values().removeIf(h -> h.shard == s);
            s.buffer.clear();
            s.undecided.clear();
            for (ArrayDeque<Held> q : pending.values()) {
                q.removeIf(h -> h.shard == s);
            }
            s.dropped.clear();
            s.session = session;
            s.readySeq = seq;
            s.loading.clear();
            try {
                for (long g : ReadyGuilds.read(buf, off, len)) {
                    s.loading.add(g);
                    alignments.remove(g);
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "reshard: cannot read the guilds of new shard " + shardId + "'s READY: "
                        + e.getMessage());
            }
            alignments.remove(0L);
            return true;
        }
        if ("RESUMED".equals(type) || s.session == null) {
            drop(s, seq);
            return true;
        }
        if ("GUILD_CREATE".equals(type) && s.loading.remove(guildId)
                && oldShardServed.test(dev.gatehouse.discord.Snowflake.shardOf(guildId, oldTotal))) {
            drop(s, seq); // the new set's own load of a guild the old set has: not a join
            return true;
        }
        Held h = new Held(s, session, seq, type, guildId, kind, java.util.Arrays.copyOfRange(buf, off, off + len), receivedNanos,
                EventIdentity.of(type, guildId, buf, off, len));
        s.buffer.add(h);
        s.undecided.add(h);
        if (once(type, kind) && phase != Phase.DRAINING) {
            onceNew.put(h.identity, h);
            Recorded x = onceOld.get(h.identity);
            if (x != null) {
                anchor(x, h);
            }
        }
        pending.computeIfAbsent(guildId, g -> new ArrayDeque<>()).add(h);
        if (phase == Phase.RECORDING || phase == Phase.HOLDING) {
            // until the switch commits, only what is certain is decided: a guild's first events are aligned once the
            // stream holds an event that happens once in the world (or a long unique agreement), not one by one as
            // they come, when a late copy of a repeated presence would be aligned by arrival time alone
            matchEarly(guildId);
        } else {
            decide(s);
        }
        return true;
    }

    /**
     * While loading: drops the guild's new events that are the old set's next recorded ones, once the guild is
     * aligned (and aligns it when the agreement is long enough to trust), so a long load keeps only the new
     * events the old set has not delivered. Only drops are decided here: passing on waits for the switch, as the
     * old set may still get what the new set got first.
     */
    private void matchEarly(long guildId) {
        ArrayDeque<Held> q = pending.get(guildId);
        List<Recorded> r = record.get(guildId);
        if (q == null || q.isEmpty() || r == null) {
            return;
        }
        Alignment a = alignments.computeIfAbsent(guildId, g -> new Alignment());
        if (a.done) {
            return;
        }
        if (a.cursor < 0) {
            List<Held> stream = new ArrayList<>(q);
            int anchor = anchored(stream, r);
            if (anchor >= 0) {
                a.cursor = anchor;
                lags.add(stream.get(0).receivedNanos - r.get(anchor).receivedNanos());
            } else if (q.size() > EARLY_ALIGN_MAX) {
                return;
            }
        }
        if (a.cursor < 0) {
            List<Held> stream = new ArrayList<>(q);
            List<Integer> agreeing = agreeing(stream, r);
            if (agreeing.size() != 1 || !trusted(agreeing.get(0), stream, r)) {
                return;
            }
            a.cursor = agreeing.get(0);
            lags.add(stream.get(0).receivedNanos - r.get(a.cursor).receivedNanos());
        }
        while (!q.isEmpty() && a.cursor < r.size() && r.get(a.cursor).identity().equals(q.peek().identity)) {
            Held h = q.poll();
            h.verdict = -1;
            h.frame = null;
            drop(h.shard, h.seq);
            a.cursor++;
        }
    }

    private void drop(NewShard s, long seq) {
        droppedEvents++;
        List<long[]> d = s.dropped;
        if (!d.isEmpty() && d.get(d.size() - 1)[1] == seq - 1) {
            d.get(d.size() - 1)[1] = seq;
        } else {
            d.add(new long[] {seq, seq});
        }
    }

    /** Decides the shard's buffered events not decided yet. Holding the lock, record final. */
    private void decide(NewShard s) {
        for (Held h; (h = s.undecided.poll()) != null; ) {
            if (h.verdict != 0) {
                continue; // dropped while loading
            }
            ArrayDeque<Held> q = pending.get(h.guildId);
            if (q != null && !q.remove(h)) {
                q = null;
            }
            Alignment a = alignments.computeIfAbsent(h.guildId, g -> new Alignment());
            List<Recorded> r = record.getOrDefault(h.guildId, new ArrayList<>());
            if (!a.done && a.cursor < 0) {
                a.cursor = align(h, q == null ? List.of() : q, r);
                a.done = a.cursor >= r.size();
            }
            if (!a.done && a.cursor < r.size() && r.get(a.cursor).identity().equals(h.identity)) {
                a.cursor++;
                h.verdict = -1;
                drop(s, h.seq);
            } else {
                if (!a.done && a.cursor < r.size()) {
                    if (divergences++ < 10) {
                        LOG.log(System.Logger.Level.INFO, "reshard: guild " + h.guildId + ": the new set's " + h.type + " (seq "
                                + h.seq + ") is not the old set's next recorded event (" + r.get(a.cursor).identity().type() + ", "
                                + a.cursor + " of " + r.size() + "); passing on from here");
                    }
                }
                a.done = true;
                h.verdict = 1;
                passedEvents++;
            }
        }
    }

    /**
     * Where in the guild's record the new stream starting with {@code first} begins: the record's size when it
     * begins after everything recorded. The candidates are the positions from which the record agrees with every
     * new event buffered so far; a long agreement is trusted, otherwise the earliest candidate whose arrival time
     * fits the lag between the sets within {@link #TOLERANCE_NANOS}.
     */
    private int align(Held first, java.util.Collection<Held> later, List<Recorded> r) {
        List<Held> stream = new ArrayList<>();
        stream.add(first);
        stream.addAll(later);
        int anchor = anchored(stream, r);
        if (anchor >= 0) {
            lags.add(first.receivedNanos - r.get(anchor).receivedNanos());
            return anchor;
        }
        int paired = pairAnchored(stream, r);
        if (paired >= 0) {
            return paired;
        }
        List<Integer> agreeing = agreeing(stream, r);
        if (agreeing.isEmpty()) {
            return r.size();
        }
        if (agreeing.size() == 1 && trusted(agreeing.get(0), stream, r)) {
            int p = agreeing.get(0);
            lags.add(first.receivedNanos - r.get(p).receivedNanos());
            return p;
        }
        // the earliest that fits in time: identical events of one burst cannot be told apart by time, and taking the
        // earliest of them counts each of them once
        long lag = lag();
        for (int p : agreeing) {
            if (Math.abs(first.receivedNanos - r.get(p).receivedNanos() - lag) <= TOLERANCE_NANOS) {
                LOG.log(System.Logger.Level.DEBUG, "reshard: guild " + first.guildId + ": no event that happens once in the world"
                        + " to align on; " + agreeing.size() + " candidates, position " + p + " of " + r.size() + " fits the lag");
                return p;
            }
        }
        LOG.log(System.Logger.Level.DEBUG, "reshard: guild " + first.guildId + ": no event that happens once in the world to align"
                + " on and none of " + agreeing.size() + " candidates fits the lag " + lag / 1_000_000 + " ms; the new stream is taken"
                + " to begin after the " + r.size() + " recorded events");
        return r.size();
    }

    private void anchor(Recorded x, Held h) {
        anchors.merge(((long) x.shard() << 32) | h.shard.id, new Anchor(x.session(), x.seq(), h.seq),
                (a, b) -> b.newSeq() > a.newSeq() ? b : a);
    }

    /**
     * For a guild without an event of its own that fixes the alignment: the latest anchor of its old and new shards
     * (an event of another guild the two share that happens once). The guild's new events before it in the new
     * shard's stream happened before it, so the old set recorded them; its recorded events after it in the old
     * shard's stream happened after the new session began, so the new set gets them next. The stream thus begins
     * at record position {@code size - before - after}. -1 without an anchor, or when that does not agree.
     */
    private int pairAnchored(List<Held> stream, List<Recorded> r) {
        if (r.isEmpty() || stream.isEmpty()) {
            return -1;
        }
        Recorded first = r.get(0);
        Anchor a = anchors.get(((long) first.shard() << 32) | stream.get(0).shard.id);
        if (a == null) {
            return -1;
        }
        int after = 0;
        for (Recorded x : r) {
            if (x.shard() != first.shard() || !x.session().equals(a.oldSession())) {
                return -1; // the old shard changed sessions meanwhile: its seqs no longer compare
            }
            if (x.seq() > a.oldSeq()) {
                after++;
            }
        }
        int before = 0;
        for (Held h : stream) {
            if (h.seq < a.newSeq()) {
                before++;
            }
        }
        int p = r.size() - before - after;
        return p >= 0 && agreesAt(p, stream, r) ? p : -1;
    }

    /**
     * The alignment an event that happens once in the world pins (see {@link #once}): found in the stream at
     * {@code i} and in the record at {@code k}, the stream begins at record position {@code k - i}, whatever the
     * arrival times. -1 when the stream has no such event the record holds, or when the position it gives does
     * not agree with the rest of the stream (then the other rules decide).
     */
    private static int anchored(List<Held> stream, List<Recorded> r) {
        for (int i = 0; i < stream.size(); i++) {
            Held h = stream.get(i);
            if (!once(h.type, h.kind)) {
                continue;
            }
            for (int k = r.size() - 1; k >= 0; k--) {
                if (r.get(k).identity().equals(h.identity)) {
                    int p = k - i;
                    return p >= 0 && agreesAt(p, stream, r) ? p : -1;
                }
            }
        }
        return -1;
    }

    /**
     * Events whose payload the world produces once: a creation carrying a new id or a one-time timestamp (a message,
     * a channel, a thread, a role, a member's or the bot's joining) or a message's deletion. Two of them with equal
     * identities are the same event, so one found on both sets fixes where the streams meet. Presences, typings and
     * updates can repeat byte for byte and fix nothing.
     */
    static boolean once(String type, GuildKind kind) {
        return switch (type) {
            case "MESSAGE_CREATE", "MESSAGE_DELETE", "CHANNEL_CREATE", "THREAD_CREATE", "GUILD_ROLE_CREATE", "GUILD_MEMBER_ADD" -> true;
            case "GUILD_CREATE" -> kind == GuildKind.JOIN;
            default -> false;
        };
    }

    /** True when the record from {@code p} agrees with the stream as far as both go. */
    private static boolean agreesAt(int p, List<Held> stream, List<Recorded> r) {
        for (int i = 0; i < stream.size() && p + i < r.size(); i++) {
            if (!r.get(p + i).identity().equals(stream.get(i).identity)) {
                return false;
            }
        }
        return true;
    }

    /**
     * An agreement at {@code p} is trusted without looking at time when it is long enough and holds an event that
     * occurs once in the record (a message, not a presence that repeats): repeating payloads can agree by chance.
     */
    private static boolean trusted(int p, List<Held> stream, List<Recorded> r) {
        int overlap = Math.min(stream.size(), r.size() - p);
        if (overlap < TRUSTED_OVERLAP) {
            return false;
        }
        Map<EventIdentity, Integer> counts = new HashMap<>();
        for (Recorded x : r) {
            if (x != null) {
                counts.merge(x.identity(), 1, Integer::sum);
            }
        }
        for (int i = 0; i < overlap; i++) {
            if (counts.getOrDefault(stream.get(i).identity, 0) == 1) {
                return true;
            }
        }
        return false;
    }

    /** The positions from which the record agrees with the whole stream, as far as both go. */
    private static List<Integer> agreeing(List<Held> stream, List<Recorded> r) {
        List<Integer> agreeing = new ArrayList<>();
        for (int p = 0; p < r.size(); p++) {
            if (agreesAt(p, stream, r)) {
                agreeing.add(p);
            }
        }
        return agreeing;
    }

    /** The median lag of the new set behind the old one, 0 before any trusted alignment. */
    private long lag() {
        if (lags.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(lags);
        java.util.Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /**
     * Stops the old set's publishing (its shards hold what comes): its record is final. What the new set buffered
     * is decided at {@link #sessions()}, with as much of the new streams as the settle time brings.
     */
    synchronized void hold() {
        phase = Phase.HOLDING;
        for (Long g : new ArrayList<>(pending.keySet())) {
            matchEarly(g);
        }
    }

    /** Guilds of the old record whose new stream has not reached the record's end yet. */
    synchronized int guildsBehind() {
        int behind = 0;
        long now = System.nanoTime();
        long lag = lag();
        for (Map.Entry<Long, ArrayList<Recorded>> e : record.entrySet()) {
            Alignment a = alignments.get(e.getKey());
            List<Recorded> r = e.getValue();
            if (a == null || a.cursor < 0) {
                // no new event of the guild yet: the new set may still get the last recorded one
                if (now - (r.get(r.size() - 1).receivedNanos() + lag) < TOLERANCE_NANOS) {
                    behind++;
                }
            } else if (!a.done && a.cursor < r.size()) {
                behind++;
            }
        }
        return behind;
    }

    /**
     * The new set's sessions as the switch stores them: each session with the seq up to which a restart need not
     * replay it (READY and the dropped events right after it) and the dropped seqs after that. Decides everything
     * buffered so far; events arriving later are passed on. Holding.
     */
    synchronized List<Reshard.NewSession> sessions() {
        List<Reshard.NewSession> out = new ArrayList<>();
        for (NewShard s : newShards.values()) {
            decide(s);
            s.loading.clear(); // a GUILD_CREATE from now on is a guild's return or a join, not the new set's load
        }
        for (Alignment a : alignments.values()) {
            a.done = true; // from now on everything is passed on
        }
        for (Map.Entry<Integer, NewShard> e : newShards.entrySet()) {
            NewShard s = e.getValue();
            if (s.session == null) {
                continue;
            }
            long mark = s.readySeq;
            List<long[]> rest = new ArrayList<>();
            for (long[] r : merged(s.dropped)) {
                if (r[0] <= mark + 1 && r[1] > mark) {
                    mark = r[1];
                } else if (r[0] > mark) {
                    rest.add(r.clone());
                }
            }
            // READY and the prefix are skipped too: a delivery checkpoint of an old session that lands on the shard's
            // row after the switch makes a restart resume from 0, and those must not reach the bot then
            rest.add(0, new long[] {s.readySeq, mark});
            long[] ranges = new long[rest.size() * 2];
            for (int i = 0; i < rest.size(); i++) {
                ranges[2 * i] = rest.get(i)[0];
                ranges[2 * i + 1] = rest.get(i)[1];
            }
            out.add(new Reshard.NewSession(e.getKey(), s.session, mark, ranges));
        }
        out.sort(java.util.Comparator.comparingInt(Reshard.NewSession::shardId));
        return out;
    }

    /** Ranges sorted and merged: drops decided while loading come before those of earlier seqs decided at the switch. */
    private static List<long[]> merged(List<long[]> ranges) {
        List<long[]> sorted = new ArrayList<>();
        for (long[] r : ranges) {
            sorted.add(r.clone());
        }
        sorted.sort(java.util.Comparator.comparingLong(r -> r[0]));
        List<long[]> out = new ArrayList<>();
        for (long[] r : sorted) {
            if (!out.isEmpty() && out.get(out.size() - 1)[1] >= r[0] - 1) {
                out.get(out.size() - 1)[1] = Math.max(out.get(out.size() - 1)[1], r[1]);
            } else {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * The switch is committed: the old set's last dispatches are discarded (the new set has them), and the new
     * set's passed events go into the ring in order, shard by shard, then each shard publishes directly.
     * Waits while the ring is full. Control thread.
     */
    void goLive() {
        synchronized (this) {
            phase = Phase.DRAINING;
        }
        for (Map.Entry<Integer, NewShard> e : snapshotShards().entrySet()) {
            int shard = e.getKey();
            NewShard s = e.getValue();
            while (true) {
                Held h;
                synchronized (this) {
                    decide(s);
                    h = s.buffer.poll();
                    if (h == null) {
                        s.live = true;
                        break;
                    }
                }
                if (h.verdict > 0) {
                    while (!ring.tryPublish(shard, h.session, h.seq, h.type, h.guildId, h.kind, h.frame, 0, h.frame.length,
                            h.receivedNanos)) {
                        LockSupport.parkNanos(200_000);
                    }
                }
            }
        }
        synchronized (this) {
            phase = Phase.LIVE;
            record.clear();
            pending.clear();
            onceOld.clear();
            onceNew.clear();
        }
        LOG.log(System.Logger.Level.INFO, "reshard: hand-over done: " + passedEvents + " buffered events of the new set passed on, "
                + droppedEvents + " dropped (delivered by the old set, or the new set's own READY and guild loads)"
                + (divergences > 0 ? ", " + divergences + " guilds whose streams differed (passed on from there)" : ""));
    }

    private synchronized Map<Integer, NewShard> snapshotShards() {
        return new java.util.TreeMap<>(newShards);
    }

    /** The switch failed: the old set publishes again (what it held included), the new set's events are discarded. */
    synchronized void abort() {
        phase = Phase.ABORTED;
        record.clear();
        onceOld.clear();
        onceNew.clear();
        newShards.clear();
        pending.clear();
    }

    /** The old set's session ids seen while recording: their delivery checkpoints stop counting at the switch. */
    synchronized Set<String> oldSessions() {
        return Set.copyOf(oldSessions);
    }

    synchronized Phase phase() {
        return phase;
    }

    synchronized long recorded() {
        return recorded;
    }

    synchronized long dropped() {
        return droppedEvents;
    }

    synchronized long passed() {
        return passedEvents;
    }

    /**
     * Dispatches the new set received that never went into the ring: {@link #dropped()} (the old set delivered
     * them, or they were the set's own guild loads and RESUMEDs), its READYs, and what a new session of a shard made
     * void, and the old set's dispatches offered after the switch. With the dispatches the replaced set sends to its
     * discarding sink afterwards this makes the shutdown summary's arithmetic exact.
     */
    synchronized long notPassedOn() {
        return droppedEvents + readies + voided + afterSwitch;
    }
}
