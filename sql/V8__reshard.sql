-- Resharding. The shard count the stored sessions belong to, one row per bot (application id, as V7): a reshard's
-- switch changes it in the same transaction as the bot's guild_bots.shard_id (and guilds.shard_id of its guilds) and
-- its sessions, so a restart finds one consistent set, the old or the new.
-- configured_shards is the totalShards setting it was recorded under (0: Discord's recommendation): a changed
-- setting wins over a count a reshard chose.
CREATE TABLE gatehouse_shard_set (
    application_id    bigint      PRIMARY KEY DEFAULT 0,
    total_shards      integer     NOT NULL,
    configured_shards integer     NOT NULL,
    switched_at       timestamptz NOT NULL DEFAULT now()
);

-- Dispatches of the new set's sessions that the hand-over did not pass on (the old set had delivered them, or they
-- were the new set's own READY and guild loads), as seq ranges: a restart after the switch drops them when the
-- sessions resume and Discord sends them again.
CREATE TABLE gatehouse_handover_skip (
    application_id bigint  NOT NULL DEFAULT 0,
    shard_id       integer NOT NULL,
    session_id     text    NOT NULL,
    first_seq      bigint  NOT NULL,
    last_seq       bigint  NOT NULL,
    PRIMARY KEY (application_id, shard_id, session_id, first_seq)
);
