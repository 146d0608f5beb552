// Log lines pass through the secret scrubbers and then the PII engine before they are written: every string field
// and the message lose any resolved secret value (in any of its encodings) and have PII masked, so neither a secret
// nor a customer's email or card number reaches a log file, whatever the code that logged it. Secrets go first: a
// secret that looks like a number would otherwise be masked only in part.
import { applyDataPolicySync, redactText } from '../pii';
import { DataPolicy } from '../pii/policy';
import { scrubLogValue } from '../secrets/scrubber';

const LOG_POLICY = DataPolicy.parse({ redaction_mode: 'mask' });
// Mask mode needs no key; the context type asks for one.
const NO_KEY = new Uint8Array(32);

/** Errors are turned into plain data first (type, message, stack, cause) so that their text is redacted too. */
export function redactLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  const plain = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? errorToData(value) : value]));
  return applyDataPolicySync(scrubLogValue(plain), LOG_POLICY, { hmacKey: NO_KEY }) as Record<string, unknown>;
}

function errorToData(error: Error, depth = 0): Record<string, unknown> {
  const data: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  if ('code' in error) data.code = (error as { code: unknown }).code;
  if (error.cause instanceof Error && depth < 5) data.cause = errorToData(error.cause, depth + 1);
  return data;
}

export function redactLogMessage(message: string): string {
  return redactText(scrubLogValue(message), { mode: 'mask', detectors: LOG_POLICY.pii_detectors });
}
