-- Gatehouse state, version 6: the change log of members (the seed's "who joined while the bot was offline").
-- Filled by triggers on members: every join, leave, nickname and role change Gatehouse learns, when it learned it
-- and how: 'event' (a GUILD_MEMBER_* dispatch) or 'diff' (a GUILD_CREATE or member chunk differed from what was
-- stored: it happened while nobody was connected). A guild's first load logs nothing.

-- How the last write of a member row was learned: 'add' (GUILD_MEMBER_ADD), 'event' (any other dispatch),
-- 'diff' (a GUILD_CREATE, a member chunk, or a sweep after one), 'gone' (the bot left the guild: not a leave).
ALTER TABLE members ADD COLUMN learned_by text;

CREATE TABLE member_changes (
    id         bigserial PRIMARY KEY,
    guild_id   bigint      NOT NULL,
    user_id    bigint      NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('join', 'leave', 'nick', 'roles')),
    old_value  text,
    new_value  text,
    learned_by text        NOT NULL CHECK (learned_by IN ('event', 'diff')),
    learned_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_changes_guild ON member_changes (guild_id, learned_at);
CREATE INDEX member_changes_user ON member_changes (user_id, learned_at);

-- New rows: a join when a GUILD_MEMBER_ADD says so, or when a GUILD_CREATE (or chunk) lists someone new in a guild
-- loaded before who joined after that first load (a large guild's GUILD_CREATE lists only some members: one who
-- joined long ago and was simply not listed before is not a join).
CREATE FUNCTION gatehouse_member_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_changes (guild_id, user_id, kind, new_value, learned_by)
    SELECT n.guild_id, n.user_id, 'join', n.nick, CASE WHEN n.learned_by = 'diff' THEN 'diff' ELSE 'event' END
    FROM new_members n
    WHERE n.left_at IS NULL AND (n.learned_by = 'add'
        OR (n.learned_by = 'diff' AND EXISTS (SELECT 1 FROM guilds g WHERE g.id = n.guild_id AND g.loaded_at < now()
            AND (n.joined_at IS NULL OR n.joined_at >= g.loaded_at))));
    RETURN NULL;
END $$;

-- Changed rows: joins (a left member is back), leaves, nicknames and roles.
CREATE FUNCTION gatehouse_member_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_changes (guild_id, user_id, kind, old_value, new_value, learned_by)
    SELECT n.guild_id, n.user_id, c.kind, c.old_value, c.new_value,
           CASE WHEN n.learned_by = 'diff' THEN 'diff' ELSE 'event' END
    FROM old_members o JOIN new_members n USING (guild_id, user_id)
    CROSS JOIN LATERAL (VALUES
        ('join', NULL, n.nick, o.left_at IS NOT NULL AND n.left_at IS NULL),
        ('leave', o.nick, NULL, o.left_at IS NULL AND n.left_at IS NOT NULL),
        ('nick', o.nick, n.nick, o.left_at IS NULL AND n.left_at IS NULL AND o.data IS NOT NULL
            AND o.nick IS DISTINCT FROM n.nick),
        ('roles', o.roles::text, n.roles::text, o.left_at IS NULL AND n.left_at IS NULL AND o.roles IS NOT NULL
            AND o.roles IS DISTINCT FROM n.roles)
    ) AS c(kind, old_value, new_value, happened)
    WHERE c.happened AND n.learned_by IS DISTINCT FROM 'gone';
    RETURN NULL;
END $$;

CREATE TRIGGER members_inserted AFTER INSERT ON members REFERENCING NEW TABLE AS new_members
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_member_inserts();
CREATE TRIGGER members_updated AFTER UPDATE ON members REFERENCING OLD TABLE AS old_members NEW TABLE AS new_members
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_member_updates();
