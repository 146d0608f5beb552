-- User tokens given at the start of a run, kept out of Temporal history: the run carries only a handle.
-- The token is sealed with the tenant's key (never stored in clear) and the row expires with the token.
CREATE TABLE user_tokens (
  tenant_id     text        NOT NULL,
  handle        uuid        NOT NULL,
  subject       text        NOT NULL,
  key_id        text        NOT NULL,
  sealed        bytea       NOT NULL,
  expires_at    timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, handle)
) PARTITION BY LIST (tenant_id);

SELECT steward_register_tenant_table('user_tokens');
