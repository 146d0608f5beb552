-- Workflow definitions, versioned per tenant. A version's content never changes once registered:
-- the content hash pins what a run executes.
CREATE TABLE definitions (
  tenant_id     text        NOT NULL,
  workflow_id   text        NOT NULL,
  version       integer     NOT NULL CHECK (version >= 1),
  content_hash  text        NOT NULL,
  definition    jsonb       NOT NULL,
  source        text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, workflow_id, version)
);
