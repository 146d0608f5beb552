-- A user token is sealed for one run: the workflow id the client chose before sealing it. The worker opens it only
-- for that run (or a child run of it), and the id is part of the seal's aad, so editing this column only makes the
-- row unopenable. Rows sealed before this migration name no run and would serve any run that quotes their handle:
-- they are dropped (TRUNCATE, as row-level security would hide them from a DELETE); a run that needs one escalates
-- and its user sends a fresh token, which is sealed for that run.
TRUNCATE user_tokens;
ALTER TABLE user_tokens ADD COLUMN workflow_id text NOT NULL;
