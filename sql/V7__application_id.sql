-- Gatehouse state, version 7: several bots (Gatehouse deployments) on one database. What differs per bot carries
-- the bot's application id: its sessions, its identify turns, and its membership of guilds. Rows from before this
-- version belong to application 0 (their sessions are not resumed by a bot with another id).

ALTER TABLE gatehouse_session ADD COLUMN application_id bigint NOT NULL DEFAULT 0;
ALTER TABLE gatehouse_session DROP CONSTRAINT gatehouse_session_pkey;
ALTER TABLE gatehouse_session ADD PRIMARY KEY (application_id, shard_id);

-- delivery checkpoints (V4) are per session, so per bot too
ALTER TABLE gatehouse_delivery ADD COLUMN application_id bigint NOT NULL DEFAULT 0;
ALTER TABLE gatehouse_delivery DROP CONSTRAINT gatehouse_delivery_pkey;
ALTER TABLE gatehouse_delivery ADD PRIMARY KEY (application_id, shard_id);

ALTER TABLE gatehouse_identify ADD COLUMN application_id bigint NOT NULL DEFAULT 0;
ALTER TABLE gatehouse_identify DROP CONSTRAINT gatehouse_identify_pkey;
ALTER TABLE gatehouse_identify ADD PRIMARY KEY (application_id, max_concurrency, bucket);

-- Which guilds each bot is in, on which of its shards; guilds.shard_id/unavailable/left_at are those of the bot
-- that wrote last, and a guild counts as left (guilds.left_at) only when no bot is in it any more.
CREATE TABLE guild_bots (
    application_id bigint      NOT NULL,
    guild_id       bigint      NOT NULL,
    shard_id       integer     NOT NULL,
    unavailable    boolean     NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    left_at        timestamptz,
    PRIMARY KEY (application_id, guild_id)
);
CREATE INDEX guild_bots_shard ON guild_bots (application_id, shard_id);
CREATE INDEX guild_bots_guild ON guild_bots (guild_id);
