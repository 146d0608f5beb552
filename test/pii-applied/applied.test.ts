// Where the data policy applies today: log lines, audit payloads and prompts sent to model providers.
import { Writable } from 'node:stream';
import { redactAuditPayload } from '../../src/audit/audit-log';
import { createLogger } from '../../src/log/logger';
import { DataPolicy } from '../../src/pii/policy';
import { derivePiiHmacKey, parseMasterKey } from '../../src/tenancy/pii-keys';
import { assertTenantId } from '../../src/tenancy/tenant-id';

const SSN = '123-45-6789';
const EMAIL = 'jane.doe@example.com';
const CARD = '4242 4242 4242 4242';

function captureLogger(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(chunk.toString()), done()) });
  return { lines, log: createLogger('test', 'info', sink) };
}

test('log lines carry no PII in their message or fields, however the code logged it', () => {
  const { lines, log } = captureLogger();
  log.info({ customer: { email: EMAIL, note: `card ${CARD}` } }, `SSN ${SSN} checked for ${EMAIL}`);
  log.error({ err: new Error(`lookup failed for ${EMAIL}`) }, 'failed');
  const text = lines.join('');
  for (const canary of [SSN, EMAIL, CARD]) expect(text).not.toContain(canary);
  expect(text).toContain('***-**-6789');
  expect(JSON.parse(lines[0]!).customer.email).toMatch(/^j\*+@example\.com$/);
});

test('audit payloads drop prompts and outputs unless retained, and redact PII per the policy', () => {
  const hmacKey = derivePiiHmacKey(parseMasterKey('11'.repeat(32)), assertTenantId('acme'));
  const payload = { prompt: `Summarise for ${EMAIL}`, output: 'done', note: `SSN ${SSN}`, amount: 2500 };
  const dropped = redactAuditPayload(payload, { policy: DataPolicy.parse({}), hmacKey });
  expect(dropped).toEqual({ note: 'SSN ***-**-6789', amount: 2500 });
  const kept = redactAuditPayload(payload, { policy: DataPolicy.parse({ retain_prompts: true, redaction_mode: 'hash' }), hmacKey });
  expect(kept.prompt).toMatch(/^Summarise for \[email:hmac:[0-9a-f]{16}\]$/);
  expect(JSON.stringify(kept)).not.toContain(SSN);
});

test('the PII hashing key differs per tenant and is stable for one tenant', () => {
  const master = parseMasterKey(`base64:${Buffer.alloc(32, 7).toString('base64')}`);
  const acme = derivePiiHmacKey(master, assertTenantId('acme'));
  expect(derivePiiHmacKey(master, assertTenantId('acme'))).toEqual(acme);
  expect(derivePiiHmacKey(master, assertTenantId('globex'))).not.toEqual(acme);
  expect(() => parseMasterKey('abcd')).toThrow('STEWARD_PII_MASTER_KEY: a key of at least 32 bytes');
});
