-- Gatehouse state, version 10: dead letters carry the bot that refused them (several bots may share one database,
-- V7) and are kept for delivery.deadLetterRetentionDays: each Gatehouse deletes its own older ones periodically.
-- Rows from before this version belong to application 0.

ALTER TABLE gatehouse_dead_letter ADD COLUMN application_id bigint NOT NULL DEFAULT 0;
CREATE INDEX gatehouse_dead_letter_age ON gatehouse_dead_letter (application_id, refused_at);
