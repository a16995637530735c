-- Gateway sessions, one row per shard, so a restarted Gatehouse resumes instead of identifying.
-- stored_seq is advanced by the state writer in the same transaction as the rows it wrote; delivered_seq
-- by the forwarder's checkpoints once the bot acknowledged. A restart resumes from the lower of the two.
CREATE TABLE gatehouse_session (
    shard_id      integer PRIMARY KEY,
    total_shards  integer     NOT NULL,
    session_id    text        NOT NULL,
    resume_url    text        NOT NULL,
    stored_seq    bigint      NOT NULL,
    delivered_seq bigint      NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Identify turns shared by every Gatehouse process on this database: the last identify per bucket of a
-- max_concurrency, stamped with the database's clock so processes on different hosts agree.
CREATE TABLE gatehouse_identify (
    max_concurrency integer     NOT NULL,
    bucket          integer     NOT NULL,
    last_at         timestamptz NOT NULL,
    PRIMARY KEY (max_concurrency, bucket)
);
