// The data policy of a workflow definition (IR `data_policy`): which PII to look for and what to do with it.
// Pure (zod only) so the IR schema and the workflow bundle can share it.
import { z } from 'zod';
import { PHONE_REGION_CODES } from './phone-region-codes';

export const BUILTIN_DETECTORS = ['email', 'phone', 'ssn', 'credit_card', 'iban', 'ip_address'] as const;
export const BuiltinDetector = z.enum(BUILTIN_DETECTORS);
export type BuiltinDetector = z.infer<typeof BuiltinDetector>;

export const REDACTION_MODES = ['mask', 'hash', 'remove', 'tokenize'] as const;
export const RedactionMode = z.enum(REDACTION_MODES);
export type RedactionMode = z.infer<typeof RedactionMode>;

export const CustomDetector = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'a lowercase name of letters, digits and _'),
  pattern: z.string().min(1).describe('an ECMAScript regular expression'),
  flags: z.string().regex(/^[imsu]*$/, 'only the flags i, m, s, u').optional(),
  checksum: z.enum(['luhn', 'mod97']).optional(),
});
export type CustomDetector = z.infer<typeof CustomDetector>;

const KNOWN_REGIONS: ReadonlySet<string> = new Set(PHONE_REGION_CODES);
export const PhoneRegion = z
  .string()
  .refine((region) => KNOWN_REGIONS.has(region), { error: (issue) => `${JSON.stringify(issue.input)} is not a region with a numbering plan (an ISO 3166 code in capitals, e.g. GB)` });

export const DataPolicy = z.strictObject({
  pii_detectors: z.array(BuiltinDetector).default([...BUILTIN_DETECTORS]),
  custom_detectors: z.array(CustomDetector).default([]),
  pii_fields: z.array(z.string().startsWith('$', 'a JSONPath starting with $')).default([]),
  /** Regions whose national phone numbers (written without a country code) are recognised; a wide list when
   *  omitted. No default, so definitions registered before the field keep their content hash. */
  phone_regions: z.array(PhoneRegion).min(1).max(PHONE_REGION_CODES.length).optional(),
  redaction_mode: RedactionMode.default('mask'),
  retain_prompts: z.boolean().default(false),
  retain_outputs: z.boolean().default(false),
  retention_days: z.number().int().min(1).max(3650).default(30),
  send_pii_to_provider: z.boolean().default(false),
});
export type DataPolicy = z.infer<typeof DataPolicy>;

/** The `pii` section of a tenant's settings: defaults for every definition of the tenant that names none. */
export const TenantPiiSettings = z.object({
  phone_regions: z.array(PhoneRegion).min(1, 'name at least one region').max(PHONE_REGION_CODES.length).optional(),
});
export type TenantPiiSettings = z.infer<typeof TenantPiiSettings>;
