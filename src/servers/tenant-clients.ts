// The servers that act for many tenants keep one typed client per tenant, made on first use from the process's one
// runtime. A tenant not found now may be created later: only a client that was made is kept.
import { StewardClient } from '../client/steward-client';
import type { StewardRuntime } from '../runtime/steward-runtime';
import type { TenantId } from '../tenancy/tenant-id';

export function tenantClients(runtime: StewardRuntime): (tenant: TenantId) => Promise<StewardClient> {
  const clients = new Map<string, Promise<StewardClient>>();
  return (tenant) => {
    let client = clients.get(tenant);
    if (!client) {
      client = StewardClient.forTenant(runtime, tenant);
      client.catch(() => clients.delete(tenant));
      clients.set(tenant, client);
    }
    return client;
  };
}
