-- Retention purges of the audit trail. steward_app stays append-only on audit_events: old entries are deleted only
-- through steward_purge_audit_events(), a function owned by steward_audit_purger, a role that cannot log in and
-- holds DELETE on audit_events for this function's sake alone. The function deletes only the caller's tenant's
-- entries up to a purge marker already recorded for them, and only entries older than the bound it is given, so the
-- application can purge old entries but can neither pick entries out of the middle of the chain nor hide a deletion:
-- a marker it recorded without the tenant's Vault signature fails `steward audit verify`.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'steward_audit_purger') THEN
    CREATE ROLE steward_audit_purger NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END
$$;

-- A purge marker says: the tenant's entries 1..seq were purged, and entry seq's hash was `hash`; signed by the
-- tenant's Transit key over a message of its own kind (a checkpoint's signature never passes for a marker).
CREATE TABLE audit_purge_markers (
  tenant_id   text        NOT NULL,
  seq         bigint      NOT NULL CHECK (seq >= 1),
  hash        text        NOT NULL,
  key_version integer     NOT NULL,
  signature   text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, seq)
) PARTITION BY LIST (tenant_id);

SELECT steward_register_tenant_table('audit_purge_markers');
REVOKE UPDATE, DELETE ON audit_purge_markers FROM steward_app;

GRANT SELECT, DELETE ON audit_events TO steward_audit_purger;
GRANT SELECT ON audit_purge_markers, audit_chain_epoch TO steward_audit_purger;

-- Deletes the current tenant's (app.tenant_id) chained entries 1..p_through_seq and its unchained rows from before
-- the chain began that are older than p_older_than; refuses unless a marker at p_through_seq records that entry's
-- hash and every entry it would delete is older than p_older_than. Returns how many rows it deleted.
CREATE FUNCTION steward_purge_audit_events(p_through_seq bigint, p_older_than timestamptz)
  RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  tenant text := current_setting('app.tenant_id', true);
  marked text;
  newest timestamptz;
  deleted bigint;
  legacy bigint;
BEGIN
  IF tenant IS NULL OR tenant = '' THEN
    RAISE EXCEPTION 'steward_purge_audit_events: no tenant is bound to this transaction (app.tenant_id)';
  END IF;
  IF p_older_than > now() THEN
    RAISE EXCEPTION 'steward_purge_audit_events: the bound % lies in the future', p_older_than;
  END IF;
  SELECT m.hash INTO marked FROM public.audit_purge_markers m WHERE m.tenant_id = tenant AND m.seq = p_through_seq;
  IF marked IS NULL THEN
    RAISE EXCEPTION 'steward_purge_audit_events: no purge marker at entry % of tenant %', p_through_seq, tenant;
  END IF;
  IF EXISTS (SELECT FROM public.audit_events e WHERE e.tenant_id = tenant AND e.seq = p_through_seq AND e.hash <> marked) THEN
    RAISE EXCEPTION 'steward_purge_audit_events: the marker at entry % of tenant % records another hash than the entry', p_through_seq, tenant;
  END IF;
  SELECT max(e.created_at) INTO newest FROM public.audit_events e WHERE e.tenant_id = tenant AND e.seq <= p_through_seq;
  IF newest >= p_older_than THEN
    RAISE EXCEPTION 'steward_purge_audit_events: entries up to % of tenant % include some newer than %', p_through_seq, tenant, p_older_than;
  END IF;
  DELETE FROM public.audit_events e WHERE e.tenant_id = tenant AND e.seq <= p_through_seq;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  DELETE FROM public.audit_events e
   WHERE e.tenant_id = tenant AND e.seq IS NULL AND e.created_at < p_older_than
     AND e.id <= (SELECT legacy_max_id FROM public.audit_chain_epoch);
  GET DIAGNOSTICS legacy = ROW_COUNT;
  RETURN deleted + legacy;
END
$$;

ALTER FUNCTION steward_purge_audit_events(bigint, timestamptz) OWNER TO steward_audit_purger;
REVOKE ALL ON FUNCTION steward_purge_audit_events(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION steward_purge_audit_events(bigint, timestamptz) TO steward_app;
