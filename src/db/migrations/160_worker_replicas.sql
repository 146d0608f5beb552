-- The worker replicas alive now, each heartbeating its row: every replica reads the same rows and derives the same
-- share of the tenants for itself (rendezvous hashing), so replicas need no coordinator and no configuration. A
-- dedicated replica (`steward worker --tenant …`) lists its tenants in `pinned`; the sharing replicas leave those
-- alone while it lives. Times are the database's own, so replicas on machines with skewed clocks still agree.
CREATE TABLE worker_replicas (
  id            text        PRIMARY KEY,
  host          text        NOT NULL,
  pid           integer     NOT NULL,
  pinned        text[],
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON worker_replicas TO steward_app;
