-- Crypto-shredding for the PII vault: each data subject (a subject_hash) gets a data key of its own, kept in
-- Vault and never in this database, so destroying it makes the subject's entries unreadable in every backup too.
-- This table names which key belongs to which subject, nothing more; its row lock is how a value being tokenized
-- and its subject being erased or purged agree on whether the key still exists.
CREATE TABLE pii_subject_keys (
  tenant_id     text        NOT NULL,
  key_id        text        NOT NULL,
  subject_hash  text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key_id)
) PARTITION BY LIST (tenant_id);

CREATE UNIQUE INDEX pii_subject_keys_subject ON pii_subject_keys (tenant_id, subject_hash);

SELECT steward_register_tenant_table('pii_subject_keys');

-- Entries sealed under a subject key name it here; entries sealed before (with the tenant keyring, key_id) have
-- NULL and are only deleted, not shredded, until they expire.
ALTER TABLE pii_vault ADD COLUMN subject_key_id text;
CREATE INDEX pii_vault_subject_key ON pii_vault (tenant_id, subject_key_id);
