// What the PII codec looks for in a tenant's payloads beyond the built-in detectors: the `pii_fields`, custom
// detectors and phone regions of the tenant's registered definitions. A codec cannot tell which definition a payload
// belongs to (a client starting a run, a query or the codec server have no run to look up), so it applies the union
// over all of them: a value one definition calls PII is tokenized in every run of the tenant. A definition that names
// no phone regions uses the tenant's (`steward tenant phone-regions`), as its runs do.
import type { Pool } from 'pg';
import { listDataPolicies } from '../definitions/registry';
import { CustomDetector, DataPolicy } from '../pii/policy';
import type { TenantId } from '../tenancy/tenant-id';
import { loadTenantPhoneRegions } from '../tenancy/tenant-phone-regions';

export interface CodecDataPolicy {
  /** `pii_fields` paths as the codec applies them: at any depth, since history wraps a run's documents (its input,
   *  node outputs, state) in envelopes of its own (`$.name` matches `{input: {name}}`). */
  readonly fieldPaths: readonly string[];
  readonly customDetectors: readonly CustomDetector[];
  /** The regions national phone numbers are checked against; undefined for the wide default. */
  readonly phoneRegions?: readonly string[];
}

export type CodecPolicySource = () => Promise<CodecDataPolicy>;

export const EMPTY_CODEC_POLICY: CodecDataPolicy = { fieldPaths: [], customDetectors: [] };

// Definitions are registered while workers run; a new one's fields are applied within this long.
const REFRESH_MS = 10_000;

/**
 * A `pii_fields` path as the codec applies it: `$.a.b` → `$..a.b`. `$` alone (the whole document) is left to the
 * detectors here: every string of every payload of the tenant would become a vault entry.
 */
export function pathAtAnyDepth(path: string): string | undefined {
  const trimmed = path.trim();
  if (trimmed.startsWith('$..')) return trimmed;
  if (trimmed.startsWith('$.')) return `$..${trimmed.slice(2)}`;
  if (trimmed.startsWith('$[')) return `$..${trimmed.slice(1)}`;
  return undefined;
}

/**
 * The union of the policies: each path and detector once. Phone regions are narrowed only if every policy narrows
 * them, its own list or, for one that names none, `tenantRegions` (the tenant's default; undefined for the wide one).
 */
export function unionOfPolicies(policies: readonly DataPolicy[], tenantRegions?: readonly string[]): CodecDataPolicy {
  const fieldPaths = new Set<string>();
  const detectors = new Map<string, CustomDetector>();
  const regions = new Set<string>(policies.length === 0 ? (tenantRegions ?? []) : []);
  let wideRegions = policies.length === 0 && tenantRegions === undefined;
  for (const policy of policies) {
    for (const path of policy.pii_fields) {
      const relative = pathAtAnyDepth(path);
      if (relative !== undefined) fieldPaths.add(relative);
    }
    for (const detector of policy.custom_detectors) detectors.set(JSON.stringify(detector), detector);
    const policyRegions = policy.phone_regions ?? tenantRegions;
    if (policyRegions === undefined) wideRegions = true;
    else for (const region of policyRegions) regions.add(region);
  }
  return { fieldPaths: [...fieldPaths], customDetectors: [...detectors.values()], ...(wideRegions ? {} : { phoneRegions: [...regions].sort() }) };
}

/** The tenant's codec policy, read again at most every REFRESH_MS. */
export function createTenantCodecPolicy(pool: Pool, tenant: TenantId): CodecPolicySource {
  let cached: { policy: CodecDataPolicy; at: number } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < REFRESH_MS) return cached.policy;
    const [stored, tenantRegions] = await Promise.all([listDataPolicies(pool, tenant), loadTenantPhoneRegions(pool, tenant)]);
    // Stored definitions were validated when registered; one that no longer parses adds nothing rather than
    // stopping every payload of the tenant.
    const policies = stored.flatMap((policy) => {
      const parsed = DataPolicy.safeParse(policy ?? {});
      return parsed.success ? [parsed.data] : [];
    });
    cached = { policy: unionOfPolicies(policies, tenantRegions), at: Date.now() };
    return cached.policy;
  };
}
