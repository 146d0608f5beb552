-- The PII vault: values the payload codec took out of Temporal history, each behind a token. A value is sealed
-- with the tenant's key (never stored in clear) and found again only through keyed HMACs: value_hmac (type and
-- exact value) keeps one token per value, subject_hash (type and normalized value) finds a data subject's entries
-- to erase. A row past expires_at is never read again and is purged: once gone, old histories show tokens only.
CREATE TABLE pii_vault (
  tenant_id     text        NOT NULL,
  token         text        NOT NULL,
  type          text        NOT NULL,
  value_hmac    bytea       NOT NULL,
  subject_hash  text        NOT NULL,
  key_id        text        NOT NULL,
  sealed        bytea       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, token)
) PARTITION BY LIST (tenant_id);

CREATE UNIQUE INDEX pii_vault_value ON pii_vault (tenant_id, type, value_hmac);
CREATE INDEX pii_vault_subject ON pii_vault (tenant_id, subject_hash);
CREATE INDEX pii_vault_expiry ON pii_vault (tenant_id, expires_at);

SELECT steward_register_tenant_table('pii_vault');
