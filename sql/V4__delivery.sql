-- Delivery checkpoints in a table of their own: the checkpoint thread is its only writer and the state writer
-- never touches it, so saving what the bot took never waits on (or deadlocks with) the state writer's progress
-- on gatehouse_session. A mark counts only for the session gatehouse_session holds (see SessionStore.LOAD).
CREATE TABLE gatehouse_delivery (
    shard_id      integer PRIMARY KEY,
    session_id    text        NOT NULL,
    delivered_seq bigint      NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO gatehouse_delivery (shard_id, session_id, delivered_seq)
    SELECT shard_id, session_id, delivered_seq FROM gatehouse_session WHERE delivered_seq > 0;

-- Events the bot refused one by one (HTTP 400, 413, 422), with its answer: nothing disappears silently.
-- answer is cut to 4096 characters.
CREATE TABLE gatehouse_dead_letter (
    id         bigserial PRIMARY KEY,
    shard_id   integer     NOT NULL,
    session_id text        NOT NULL,
    seq        bigint      NOT NULL,
    type       text        NOT NULL,
    status     integer     NOT NULL,
    answer     text        NOT NULL,
    event      text        NOT NULL,
    refused_at timestamptz NOT NULL DEFAULT now()
);
