-- The gateway a session was identified at (/gateway/bot's url): a restart resumes only sessions of the gateway
-- it connects to now. Rows from before this column have '' and are never resumed.
ALTER TABLE gatehouse_session ADD COLUMN gateway_url text NOT NULL DEFAULT '';
