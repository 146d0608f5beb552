// Workflow ids bypass the codec, so ids that carry PII or a resolved secret are refused before they reach Temporal.
import { randomUUID } from 'node:crypto';
import { assertWorkflowIdIsSafe, findPiiInWorkflowId } from '../../src/codec/workflow-id-guard';
import { createScrubber } from '../../src/secrets/scrubber';
import type { SecurityEvent } from '../../src/secrets/types';

test.each([
  ['an email', 'invoice-alice@example.com', 'email'],
  ['an SSN joined with hyphens', 'ssn-123-45-6789', 'ssn'],
  ['a card number joined with an underscore', 'card_4111-1111-1111-1111', 'credit_card'],
  ['a card number joined with a hyphen', 'cust-4111111111111111', 'credit_card'],
  ['a phone number', 'callback:+14155552671', 'phone'],
  ['an IP address', 'host-10.1.2.3', 'ip_address'],
  ['a Luhn-valid card glued after a word that vetoes cards in prose', 'order-4111111111111111', 'credit_card'],
  ['a percent-encoded email', 'jane%40example.com', 'email'],
  ['a twice percent-encoded email', 'jane%2540example.com', 'email'],
  ['a full-width email', 'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'email'],
  ['a percent-encoded, full-width card', 'ref=%EF%BC%94111111111111111', 'credit_card'],
])('a workflow id holding %s is refused, naming the kind and never the id', (_what, id, type) => {
  let refusal: unknown;
  try {
    assertWorkflowIdIsSafe(id);
  } catch (error) {
    refusal = error;
  }
  expect(refusal).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining(type) });
  expect((refusal as Error).message).toContain('workflowId');
  expect((refusal as Error).message).not.toContain(id);
});

test.each([
  'hello-0b8c2f4e-1d2a-4a53-9e3b-12345678abcd',
  'expense-42',
  'order-2024-000123',
  'job-1717171717171',
  'hello/call/1',
  'batch-2024-06-01T12:00:00Z',
  'report%20q3-2024',
  'bad%E0%A4%A-encoding-7',
  // a random UUID's groups may be all digits that read like a phone: generated ids are opaque
  'hello-00000000-0000-4000-8000-012345678901',
])(
  'an ordinary id like %s is accepted',
  (id) => {
    expect(() => assertWorkflowIdIsSafe(id)).not.toThrow();
  },
);

test('counter-style ids (short groups of digits) are never refused: a refused id fails its run', () => {
  // every 3-digit × 5-digit pair in steps that cover each leading digit pattern
  for (let a = 100; a < 1000; a += 7) {
    for (let b = 10_000; b < 100_000; b += 911) expect(findPiiInWorkflowId(`exp-${a}-${b}`)).toEqual([]);
  }
});

test('ids Temporal and the client generate (random UUIDs) are never refused', () => {
  for (let i = 0; i < 20_000; i++) expect(findPiiInWorkflowId(`hello-${randomUUID()}`)).toEqual([]);
  expect(findPiiInWorkflowId(randomUUID())).toEqual([]);
});

test('a workflow id holding a secret this process resolved is refused and reported as a security event', () => {
  const events: SecurityEvent[] = [];
  const scrubber = createScrubber({ onSecurityEvent: (event) => events.push(event) });
  scrubber.remember('api', 'sk-live-4f9a8b7c6d5e', 'acme');
  expect(() => assertWorkflowIdIsSafe('run-sk-live-4f9a8b7c6d5e', { scrubber })).toThrow(
    expect.objectContaining({ code: 'INPUT_INVALID', message: expect.not.stringContaining('sk-live') }),
  );
  expect(events).toEqual([expect.objectContaining({ type: 'secret_scrubbed', reference_name: 'api', tenant: 'acme' })]);
  expect(() => assertWorkflowIdIsSafe('run-42', { scrubber })).not.toThrow();
});
