-- A part's lease (README "Resharding", "Several processes"): the process running a part renews alive_until while it
-- runs. A reshard counts a part as switched only while it is alive or if it switched during that reshard, and a
-- starting process deletes the rows of a split that no longer exists: those overlapping its own range of the same
-- modulus (live ranges never overlap), and those of another modulus whose lease ran out.
ALTER TABLE gatehouse_shard_part ADD COLUMN alive_until timestamptz NOT NULL DEFAULT now();

-- This database's identity, made once when the schema is created: a delivery spill records it with the application
-- id, and a spill written against another database (or for another bot) is set aside at start, not delivered.
CREATE TABLE gatehouse_database (
    id         text        PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO gatehouse_database (id) VALUES (md5(random()::text || clock_timestamp()::text || pg_backend_pid()::text));
