-- An approver's token is good for one decision: the first time a run verifies it, its hash is recorded here with
-- the run and approval node it was used for, and any later use of the same token (another run, another node, the
-- same node again, or the gateway for another run) is refused. Only a SHA-256 of the token is kept, never the
-- token; rows can go once the token itself has expired, as it no longer verifies anywhere.
CREATE TABLE approval_token_uses (
  tenant_id     text        NOT NULL,
  token_hash    text        NOT NULL,
  workflow_id   text        NOT NULL,
  run_id        text        NOT NULL,
  node_id       text        NOT NULL,
  -- The verification that spent it (run id and activity id): a retry of that same verification is not a reuse.
  spent_by      text        NOT NULL,
  subject       text        NOT NULL,
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, token_hash)
) PARTITION BY LIST (tenant_id);

SELECT steward_register_tenant_table('approval_token_uses');
