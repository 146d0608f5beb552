// The scrubber: remembered values never survive in text, nested JSON or errors, and each scrub is reported.
import { StewardError } from '../../src/errors';
import { createScrubber } from '../../src/secrets/scrubber';
import type { SecurityEvent } from '../../src/secrets/types';

const OPENAI = 'sk-live-4f9a8b7c6d5e';
const CLIENT = 'client"secret/with&chars';

function createTestScrubber() {
  const events: SecurityEvent[] = [];
  const scrubber = createScrubber({ onSecurityEvent: (event) => events.push(event) });
  scrubber.remember('openai', OPENAI, 'acme');
  scrubber.remember('expense_client', CLIENT, 'acme');
  return { scrubber, events };
}

describe('scrubber', () => {
  it('replaces values in text with [secret:<name>] and reports which secret leaked', () => {
    const { scrubber, events } = createTestScrubber();
    expect(scrubber.scrubText(`Authorization: Bearer ${OPENAI}; again ${OPENAI}`)).toBe('Authorization: Bearer [secret:openai]; again [secret:openai]');
    expect(events).toEqual([{ type: 'secret_scrubbed', tenant: 'acme', reference_name: 'openai', where: 'text' }]);
  });

  it('replaces values anywhere in nested JSON, keys included, without touching the original', () => {
    const { scrubber, events } = createTestScrubber();
    const result = { status: 200, body: { echo: [{ header: `Bearer ${OPENAI}` }, 42, null, true], [OPENAI]: 'as a key' }, note: 'clean' };
    const scrubbed = scrubber.scrubJson(result);
    expect(scrubbed).toEqual({ status: 200, body: { echo: [{ header: 'Bearer [secret:openai]' }, 42, null, true], '[secret:openai]': 'as a key' }, note: 'clean' });
    expect(JSON.stringify(scrubbed)).not.toContain(OPENAI);
    expect(result.body.echo[0]).toEqual({ header: `Bearer ${OPENAI}` });
    expect(events).toEqual([{ type: 'secret_scrubbed', tenant: 'acme', reference_name: 'openai', where: 'json' }]);
  });

  it('catches URL-encoded and JSON-escaped forms of a value', () => {
    const { scrubber } = createTestScrubber();
    const url = `https://api.example.com/?client_secret=${encodeURIComponent(CLIENT)}`;
    expect(scrubber.scrubText(url)).toBe('https://api.example.com/?client_secret=[secret:expense_client]');
    expect(scrubber.scrubText(JSON.stringify({ secret: CLIENT }))).toBe('{"secret":"[secret:expense_client]"}');
  });

  it("scrubs an error's message, stack and causes in place, keeping its class and code", () => {
    const { scrubber, events } = createTestScrubber();
    const cause = new Error(`upstream said: invalid key ${OPENAI}`);
    const error = new StewardError('INTERNAL', `request with ${CLIENT} failed`, { cause });
    const aggregate = new AggregateError([error], `batch failed for ${OPENAI}`);
    expect(scrubber.scrubError(aggregate)).toBe(aggregate);
    expect(aggregate.message).toBe('batch failed for [secret:openai]');
    expect(error.message).toBe('request with [secret:expense_client] failed');
    expect(error.code).toBe('INTERNAL');
    expect(cause.message).toBe('upstream said: invalid key [secret:openai]');
    for (const each of [aggregate, error, cause]) {
      expect(each.stack).not.toContain(OPENAI);
      expect(each.stack).not.toContain(CLIENT);
    }
    expect(events.map((event) => event.reference_name).sort()).toEqual(['expense_client', 'openai']);
    expect(events.every((event) => event.type === 'secret_scrubbed' && event.where === 'error')).toBe(true);
  });

  it('prefers the longest value, so a secret containing another is replaced whole', () => {
    const scrubber = createScrubber();
    scrubber.remember('short', 'abcd1234');
    scrubber.remember('long', 'abcd1234-extended');
    expect(scrubber.scrubText('x abcd1234-extended y abcd1234')).toBe('x [secret:long] y [secret:short]');
  });

  it('reports nothing when nothing leaked, and ignores values too short to scrub safely', () => {
    const events: SecurityEvent[] = [];
    const scrubber = createScrubber({ onSecurityEvent: (event) => events.push(event) });
    scrubber.remember('pin', 'abc');
    expect(scrubber.scrubText('abc is everywhere')).toBe('abc is everywhere');
    expect(scrubber.scrubJson({ a: 1 })).toEqual({ a: 1 });
    expect(events).toEqual([]);
  });
});
