-- The tenant registry holds every tenant's prices, budget and settings. The application role reads a tenant's row
-- only in a transaction bound to that tenant (app.tenant_id, as for every tenant-scoped table); the cross-tenant
-- reads the runtime needs (the worker's list of tenants to serve, a namespace's owner, whether a tenant exists) go
-- through steward_tenant_registry(), which returns the registry columns only, never prices, budget or settings.
-- RLS is enabled but not forced: the owner (the operator's connection) creates, lists and changes tenants as before.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_own_row ON tenants FOR SELECT TO steward_app USING (id = current_setting('app.tenant_id', true));

CREATE FUNCTION steward_tenant_registry()
  RETURNS TABLE (id text, display_name text, status text, namespace text, created_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT t.id, t.display_name, t.status, t.namespace, t.created_at FROM public.tenants t
$$;
REVOKE ALL ON FUNCTION steward_tenant_registry() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION steward_tenant_registry() TO steward_app;
