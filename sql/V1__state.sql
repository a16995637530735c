-- Gatehouse state, version 1: the Discord state of every shard this database serves.
-- Soft deletes only: rows that leave get left_at/deleted_at, never DELETE. `data` keeps the object as
-- Discord sent it (minus the children stored in their own tables); columns hold what queries need.

CREATE TABLE IF NOT EXISTS guilds (
    id           bigint PRIMARY KEY,
    shard_id     integer NOT NULL,
    name         text,
    owner_id     bigint,
    member_count integer,
    unavailable  boolean NOT NULL DEFAULT false,
    data         jsonb,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    left_at      timestamptz
);
CREATE INDEX IF NOT EXISTS guilds_shard ON guilds (shard_id);

CREATE TABLE IF NOT EXISTS channels (
    id         bigint PRIMARY KEY,
    guild_id   bigint,
    parent_id  bigint,
    type       integer,
    name       text,
    position   integer,
    data       jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX IF NOT EXISTS channels_guild ON channels (guild_id);

CREATE TABLE IF NOT EXISTS roles (
    id          bigint PRIMARY KEY,
    guild_id    bigint NOT NULL,
    name        text,
    position    integer,
    permissions text,
    color       integer,
    data        jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX IF NOT EXISTS roles_guild ON roles (guild_id);

CREATE TABLE IF NOT EXISTS users (
    id          bigint PRIMARY KEY,
    username    text,
    global_name text,
    bot         boolean,
    avatar      text,
    data        jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS members (
    guild_id   bigint NOT NULL,
    user_id    bigint NOT NULL,
    nick       text,
    joined_at  timestamptz,
    data       jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    left_at    timestamptz,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE IF NOT EXISTS presences (
    guild_id   bigint NOT NULL,
    user_id    bigint NOT NULL,
    status     text,
    data       jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE IF NOT EXISTS messages (
    id         bigint PRIMARY KEY,
    channel_id bigint,
    guild_id   bigint,
    author_id  bigint,
    content    text,
    created_at timestamptz,
    edited_at  timestamptz,
    data       jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX IF NOT EXISTS messages_channel ON messages (channel_id, id);

-- Every MESSAGE_UPDATE as received, in arrival order: the edit history.
CREATE TABLE IF NOT EXISTS message_revisions (
    id          bigserial PRIMARY KEY,
    message_id  bigint NOT NULL,
    shard_id    integer NOT NULL,
    seq         bigint NOT NULL,
    content     text,
    edited_at   timestamptz,
    data        jsonb,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS message_revisions_message ON message_revisions (message_id, id);
