-- Resharding a shard range split over several processes (README "Restarts, several processes, commands").
-- Processes that split a bot's shards record the count of their part here instead of gatehouse_shard_set: a part is
-- the shards whose id modulo `modulus` (the totalShards the ranges were split of) lies in first..last, and each
-- part switches on its own (its hand-over is local), so for a while parts may run different counts; a restart of
-- a process runs its part's recorded count.
CREATE TABLE gatehouse_shard_part (
    application_id    bigint      NOT NULL DEFAULT 0,
    modulus           integer     NOT NULL,
    first_residue     integer     NOT NULL,
    last_residue      integer     NOT NULL,
    total_shards      integer     NOT NULL,
    configured_shards integer     NOT NULL,
    switched_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, modulus, first_residue, last_residue)
);

-- The reshard the processes of one bot run together: the leader (the process whose trigger took the bot's advisory
-- lock first) opens it with the new count; the others follow while it is 'loading'; it is 'switched' once the parts
-- recorded at to_shards cover every residue, 'aborted' when the leader's own part failed. lease_until is renewed by
-- the leader while its part loads: an open reshard whose lease lapsed may be replaced by a new one (next generation).
CREATE TABLE gatehouse_reshard (
    application_id bigint      PRIMARY KEY DEFAULT 0,
    generation     bigint      NOT NULL,
    modulus        integer     NOT NULL,
    from_shards    integer     NOT NULL,
    to_shards      integer     NOT NULL,
    leader         text        NOT NULL,
    phase          text        NOT NULL CHECK (phase IN ('loading', 'switched', 'aborted')),
    lease_until    timestamptz NOT NULL,
    opened_at      timestamptz NOT NULL DEFAULT now()
);
