-- The payload codec's data keys, one partition per tenant. Each row holds a 256-bit AES key wrapped by the
-- tenant's own Vault Transit key (never the key in clear); only Transit can unwrap it. Exactly one key per
-- tenant is active (new payloads are sealed with it); retired keys stay so that what they sealed still opens.
-- Deleting a tenant drops its partition, and with it every key: its history can no longer be decrypted.
CREATE TABLE codec_keys (
  tenant_id     text        NOT NULL,
  key_id        text        NOT NULL,
  wrapped       text        NOT NULL CHECK (wrapped LIKE 'vault:v%'),
  active        boolean     NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  retired_at    timestamptz,
  PRIMARY KEY (tenant_id, key_id)
) PARTITION BY LIST (tenant_id);

CREATE UNIQUE INDEX codec_keys_one_active ON codec_keys (tenant_id) WHERE active;

SELECT steward_register_tenant_table('codec_keys');
