// The one schema for tenant ids. A tenant id reaches SQL identifiers, Temporal namespaces and file paths,
// so anything but a short lowercase slug is refused before it gets near any of them.
import { z } from 'zod';
import { StewardError } from '../errors';

export const TENANT_ID_MAX_LENGTH = 40;

export const TenantId = z
  .string()
  .min(2, 'a tenant id has at least 2 characters')
  .max(TENANT_ID_MAX_LENGTH, `a tenant id has at most ${TENANT_ID_MAX_LENGTH} characters`)
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'a tenant id is a lowercase slug: a-z, 0-9 and single inner hyphens, starting with a letter')
  .brand<'TenantId'>();
export type TenantId = z.infer<typeof TenantId>;

export function assertTenantId(value: unknown): TenantId {
  const parsed = TenantId.safeParse(value);
  if (parsed.success) return parsed.data;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 48)) : typeof value;
  throw new StewardError('TENANT_INVALID', `invalid tenant id ${shown}: ${parsed.error.issues[0]?.message}`);
}

export function namespaceForTenant(tenant: TenantId, prefix: string): string {
  return `${prefix}${tenant}`;
}
