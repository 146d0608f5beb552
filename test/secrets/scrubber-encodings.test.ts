// A target that re-encodes what it was sent: the scrubber finds a secret in its base64, base64url, hex and
// URL-encoded forms, wherever in a longer encoded string it starts, and reports where the scrub happened.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger';
import { runWithScrubOrigin } from '../../src/secrets/scrub-origin';
import { createScrubber } from '../../src/secrets/scrubber';
import type { SecurityEvent } from '../../src/secrets/types';

const SECRET = 'sk-live-4f9a8b7c6d5e3a2b';

function createTestScrubber(secret = SECRET) {
  const events: SecurityEvent[] = [];
  const scrubber = createScrubber({ onSecurityEvent: (event) => events.push(event) });
  scrubber.remember('openai', secret, 'acme');
  return { scrubber, events };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const b64url = (text: string) => Buffer.from(text).toString('base64url');

describe('when a target echoes the Authorization header encoded', () => {
  it.each([
    ['base64 of the whole header', b64(`Bearer ${SECRET}`)],
    ['base64 at every alignment', b64(`x${SECRET}`)],
    ['base64 at the third alignment', b64(`xy${SECRET}`)],
    ['base64url', b64url(`Bearer ${SECRET}?`)],
    ['hex', Buffer.from(`Bearer ${SECRET}`).toString('hex')],
    ['upper-case hex', Buffer.from(SECRET).toString('hex').toUpperCase()],
    ['URL-encoding', encodeURIComponent(`Bearer ${SECRET}/x`)],
  ])('scrubs it from %s', (_form, echoed) => {
    const { scrubber, events } = createTestScrubber();
    const scrubbed = scrubber.scrubJson({ status: 200, body: { echoed } });
    expect(JSON.stringify(scrubbed)).toContain('[secret:openai]');
    // What is left cannot be decoded back into the secret, nor any 8-character piece of it.
    const left = scrubbed.body.echoed;
    for (const decoded of [Buffer.from(left, 'base64').toString('latin1'), Buffer.from(left, 'hex').toString('latin1'), decodeURIComponentSafe(left)]) {
      expect(decoded).not.toContain(SECRET.slice(4, 12));
    }
    expect(events).toEqual([expect.objectContaining({ type: 'secret_scrubbed', reference_name: 'openai', tenant: 'acme', where: 'json' })]);
  });

  it('names the encoding it found and the run, workflow and step the scrub happened in', () => {
    const { scrubber, events } = createTestScrubber();
    runWithScrubOrigin({ run_id: 'run-1', workflow_id: 'order-7', step: 'call_api' }, () => scrubber.scrubText(`echo ${b64(`Bearer ${SECRET}`)}`));
    expect(events).toEqual([
      { type: 'secret_scrubbed', tenant: 'acme', reference_name: 'openai', where: 'text', encodings: ['base64'], run_id: 'run-1', workflow_id: 'order-7', step: 'call_api' },
    ]);
  });

  it('leaves unrelated base64 and hex alone', () => {
    const { scrubber, events } = createTestScrubber();
    const clean = { a: b64('Bearer some-other-token-entirely'), b: Buffer.from('another value').toString('hex') };
    expect(scrubber.scrubJson(clean)).toEqual(clean);
    expect(events).toEqual([]);
  });
});

describe('the log formatter', () => {
  function captureLog() {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    return { log: createLogger('scrub-test', 'info', destination), lines };
  }

  it('scrubs secrets from fields and messages that nothing scrubbed before they were logged', async () => {
    // A value of its own: every live scrubber of the process applies to logs, this test's must be the one that hits.
    const SECRET = 'xoxb-log-only-9e8d7c6b5a49';
    const { events } = createTestScrubber(SECRET);
    const { log, lines } = captureLog();
    log.info({ request: { headers: { authorization: `Bearer ${SECRET}` } }, echoed: b64(`Bearer ${SECRET}`) }, `calling with ${SECRET}`);
    log.error({ err: new Error(`upstream refused ${encodeURIComponent(SECRET)}`) }, 'failed');
    await new Promise((resolve) => setImmediate(resolve));
    const written = lines.join('');
    expect(written).not.toContain(SECRET);
    expect(written).not.toContain(b64(SECRET).slice(0, 16));
    expect(written).toContain('[secret:openai]');
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => event.type === 'secret_scrubbed' && event.where === 'log')).toBe(true);
  });
});

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
