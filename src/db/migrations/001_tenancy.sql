-- Tenancy layout. Every tenant-scoped table is LIST-partitioned by tenant_id (one partition per tenant), has a
-- primary key that starts with tenant_id, and has row-level security enabled and forced, keyed on the
-- transaction-local setting app.tenant_id. The application connects as steward_app, which owns nothing,
-- cannot bypass RLS, and has privileges on the partitioned parents only (never on a tenant's partition).

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'steward_app') THEN
    CREATE ROLE steward_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END
$$;

CREATE TABLE tenants (
  id            text        PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' AND length(id) BETWEEN 2 AND 40),
  display_name  text        NOT NULL,
  status        text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
  namespace     text        NOT NULL,
  settings      jsonb       NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The registry of tenant-scoped tables: partitions are created for every table listed here.
CREATE TABLE tenant_scoped_tables (name text PRIMARY KEY);

CREATE TABLE definitions (
  tenant_id     text        NOT NULL,
  workflow_id   text        NOT NULL,
  version       integer     NOT NULL CHECK (version >= 1),
  content_hash  text        NOT NULL,
  definition    jsonb       NOT NULL,
  source        text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, workflow_id, version)
) PARTITION BY LIST (tenant_id);

CREATE TABLE runs (
  tenant_id     text        NOT NULL,
  workflow_id   text        NOT NULL,
  run_id        text        NOT NULL,
  definition_id text        NOT NULL,
  version       integer     NOT NULL,
  content_hash  text        NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, workflow_id, run_id)
) PARTITION BY LIST (tenant_id);

CREATE TABLE audit_events (
  tenant_id     text        NOT NULL,
  id            bigserial,
  run_id        text,
  workflow_id   text,
  step          text,
  attempt       integer,
  user_id       text,
  agent_id      text,
  event_type    text        NOT NULL,
  payload       jsonb       NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
) PARTITION BY LIST (tenant_id);

CREATE TABLE approvals (
  tenant_id     text        NOT NULL,
  workflow_id   text        NOT NULL,
  run_id        text        NOT NULL,
  node_id       text        NOT NULL,
  status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  request       jsonb       NOT NULL DEFAULT '{}',
  decisions     jsonb       NOT NULL DEFAULT '[]',
  created_at    timestamptz NOT NULL DEFAULT now(),
  decided_at    timestamptz,
  PRIMARY KEY (tenant_id, workflow_id, run_id, node_id)
) PARTITION BY LIST (tenant_id);

-- Registers a partitioned tenant-scoped table: RLS enabled and forced, the isolation policy, privileges for
-- steward_app on the parent, and partitions for every tenant that already exists.
CREATE FUNCTION steward_register_tenant_table(table_name text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  tenant record;
BEGIN
  INSERT INTO tenant_scoped_tables (name) VALUES (table_name) ON CONFLICT DO NOTHING;
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', table_name);
  EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', table_name);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_setting(''app.tenant_id'', true)) '
    'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', table_name);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO steward_app', table_name);
  FOR tenant IN SELECT id FROM tenants WHERE status <> 'deleted' LOOP
    PERFORM steward_create_tenant_partitions(tenant.id);
  END LOOP;
END
$$;

-- Partition names are <table>_t_<tenant id with - as _>: tenant ids never hold _, so names never collide.
CREATE FUNCTION steward_partition_name(table_name text, tenant_id text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT table_name || '_t_' || replace(tenant_id, '-', '_')
$$;

CREATE FUNCTION steward_create_tenant_partitions(tenant_id text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  scoped record;
BEGIN
  FOR scoped IN SELECT name FROM tenant_scoped_tables ORDER BY name LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES IN (%L)',
      steward_partition_name(scoped.name, tenant_id), scoped.name, tenant_id);
  END LOOP;
END
$$;

CREATE FUNCTION steward_drop_tenant_partitions(tenant_id text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  scoped record;
  partition text;
BEGIN
  FOR scoped IN SELECT name FROM tenant_scoped_tables ORDER BY name LOOP
    partition := steward_partition_name(scoped.name, tenant_id);
    IF to_regclass(partition) IS NOT NULL THEN
      EXECUTE format('DROP TABLE %I', partition);
      RETURN NEXT partition;
    END IF;
  END LOOP;
END
$$;

SELECT steward_register_tenant_table(name) FROM unnest(ARRAY['definitions', 'runs', 'audit_events', 'approvals']) AS name;

-- steward_app reads the registry (the worker serves every active tenant) but changes it only through the
-- operator's connection; sequences behind bigserial columns are usable through the parents.
GRANT SELECT ON tenants TO steward_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO steward_app;
