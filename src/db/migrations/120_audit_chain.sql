-- The audit trail becomes a hash chain per tenant. Each chained entry carries its sequence number, the hash of the
-- entry before it and its own hash. Rows written before this migration keep seq NULL: they are reported as
-- unchained, never as tampering. The application only ever INSERTs and SELECTs audit_events; the chain head it
-- advances lives in its own table, whose row lock serializes appends within one tenant and no further.

ALTER TABLE audit_events ADD COLUMN seq bigint, ADD COLUMN prev_hash text, ADD COLUMN hash text;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (tenant_id, seq);

CREATE TABLE audit_chain_heads (
  tenant_id   text        NOT NULL,
  seq         bigint      NOT NULL CHECK (seq >= 0),
  hash        text        NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
) PARTITION BY LIST (tenant_id);

-- A checkpoint is (tenant, seq, hash) signed by the tenant's Vault Transit key; key_version names the key version.
CREATE TABLE audit_checkpoints (
  tenant_id   text        NOT NULL,
  seq         bigint      NOT NULL CHECK (seq >= 1),
  hash        text        NOT NULL,
  key_version integer     NOT NULL,
  signature   text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, seq)
) PARTITION BY LIST (tenant_id);

SELECT steward_register_tenant_table(name) FROM unnest(ARRAY['audit_chain_heads', 'audit_checkpoints']) AS name;
REVOKE DELETE ON audit_chain_heads FROM steward_app;
REVOKE UPDATE, DELETE ON audit_checkpoints FROM steward_app;

-- The audit_events id sequence is shared by all tenants: every unchained row above this id was written after the
-- chain began, so it cannot be a legacy row.
CREATE TABLE audit_chain_epoch (legacy_max_id bigint NOT NULL);
INSERT INTO audit_chain_epoch SELECT coalesce(max(id), 0) FROM audit_events;
GRANT SELECT ON audit_chain_epoch TO steward_app;
