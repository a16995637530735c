-- Gatehouse state, version 15: the members_roles GIN index (V5) without its pending list.
-- With fastupdate (the default) every new index entry goes to an unsorted pending list of up to gin_pending_list_limit
-- (4 MB) that every scan of the index reads whole, and the member upserts fill it faster than autovacuum empties it.
-- At the peers bench's firehose the list held ~50,000 entries (150 pages), and each GUILD_ROLE_DELETE's sweep
-- ("WHERE roles && ...") spent ~6.5 ms reading it: a third of the state writer's statement time. Without the list an
-- entry goes into the index's tree at once (a few page visits), so the sweep and the bots' "members with role X"
-- (docs/SCHEMA.md) read only the entries of the roles they ask for. What the index holds does not change.
ALTER INDEX members_roles SET (fastupdate = off);
-- what an earlier version left in the list moves into the tree now, not at the next vacuum
SELECT gin_clean_pending_list('members_roles'::regclass);
