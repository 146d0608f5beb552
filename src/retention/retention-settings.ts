// The `retention` section of a tenant's settings: how long each kind of record is kept, as a duration per kind.
import { z } from 'zod';
import { isDuration, parseDuration } from '../ir/duration';

/** Shorter retention would purge what a run that is still going has just written. */
const MIN_RETENTION_MS = 60_000;

export const RETAINED_KINDS = ['audit_events', 'llm_ledger'] as const;
export type RetainedKind = (typeof RETAINED_KINDS)[number];

const RetentionDuration = z
  .string()
  .refine(isDuration, 'a duration such as 1m, 12h or 90d')
  .refine((text) => !isDuration(text) || parseDuration(text) >= MIN_RETENTION_MS, 'at least 1m');

export const RetentionSettings = z.strictObject({ audit_events: RetentionDuration.optional(), llm_ledger: RetentionDuration.optional() });
export type RetentionSettings = z.infer<typeof RetentionSettings>;
