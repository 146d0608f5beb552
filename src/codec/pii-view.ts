// Who may see PII in decoded payloads: a verified token carrying `pii:read` sees real values; everyone else a mask.
// The codec server and `steward runs show` decide with this one rule.
import type { PiiView } from './pii-codec';

/** The scope that lets a caller see PII in decoded payloads. */
export const PII_READ_SCOPE = 'pii:read';

/** The view of a caller whose token verified with these scopes; no verified token at all sees a mask too. */
export function piiViewOf(principal: { scopes: readonly string[] } | undefined): Extract<PiiView, 'restore' | 'mask'> {
  return principal?.scopes.includes(PII_READ_SCOPE) ? 'restore' : 'mask';
}
