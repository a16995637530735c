-- Gatehouse state, version 5: the rest of what bots read. Soft deletes as in V1: rows that go get a timestamp.

-- A member's roles as a queryable column (also still inside data), indexed for "members with role X".
ALTER TABLE members ADD COLUMN roles bigint[];
CREATE INDEX members_roles ON members USING gin (roles);
CREATE INDEX members_user ON members (user_id);

-- Presences are swept like members: a member who left, or who a guild's GUILD_CREATE no longer lists as online.
ALTER TABLE presences ADD COLUMN deleted_at timestamptz;

-- When Gatehouse first stored the guild's GUILD_CREATE (the change log tells later joins from the first load).
ALTER TABLE guilds ADD COLUMN loaded_at timestamptz;

CREATE TABLE voice_states (
    guild_id   bigint NOT NULL,
    user_id    bigint NOT NULL,
    channel_id bigint,
    session_id text,
    self_mute  boolean,
    self_deaf  boolean,
    data       jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    left_at    timestamptz,
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX voice_states_channel ON voice_states (channel_id) WHERE left_at IS NULL;

CREATE TABLE emojis (
    id         bigint PRIMARY KEY,
    guild_id   bigint NOT NULL,
    name       text,
    animated   boolean,
    data       jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX emojis_guild ON emojis (guild_id);

CREATE TABLE stickers (
    id          bigint PRIMARY KEY,
    guild_id    bigint NOT NULL,
    name        text,
    format_type integer,
    data        jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX stickers_guild ON stickers (guild_id);

-- Who is in a thread (THREAD_MEMBERS_UPDATE needs GUILD_MEMBERS; THREAD_LIST_SYNC and THREAD_MEMBER_UPDATE carry the bot's own).
CREATE TABLE thread_members (
    thread_id      bigint NOT NULL,
    user_id        bigint NOT NULL,
    guild_id       bigint,
    join_timestamp timestamptz,
    data           jsonb,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    left_at        timestamptz,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX thread_members_guild ON thread_members (guild_id);

CREATE TABLE stage_instances (
    id         bigint PRIMARY KEY,
    guild_id   bigint NOT NULL,
    channel_id bigint,
    topic      text,
    data       jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX stage_instances_guild ON stage_instances (guild_id);

CREATE TABLE scheduled_events (
    id         bigint PRIMARY KEY,
    guild_id   bigint NOT NULL,
    channel_id bigint,
    name       text,
    status     integer,
    start_time timestamptz,
    data       jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX scheduled_events_guild ON scheduled_events (guild_id);
