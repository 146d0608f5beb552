// `steward pii scan|redact` line handling: one line out per line in, bad lines named by number without their content.
import { transformJsonl, readHmacKey } from '../../src/cli/commands/pii';
import { detectPii } from '../../src/pii/detect';

async function* linesOf(...lines: string[]): AsyncIterable<string> {
  yield* lines;
}

async function run(lines: string[]): Promise<string[]> {
  const out: string[] = [];
  await transformJsonl(linesOf(...lines), (text) => ({ spans: detectPii(text) }), async (line) => void out.push(line));
  return out;
}

describe('steward pii scan', () => {
  it('answers each line with its spans', async () => {
    expect(await run(['{"text":"mail a@b.co"}', '{"text":"none"}'])).toEqual([
      '{"spans":[{"type":"email","start":5,"end":11}]}\n',
      '{"spans":[]}\n',
    ]);
  });

  it('a bad line stops with its number and never echoes its content', async () => {
    const out: string[] = [];
    const failure = transformJsonl(linesOf('{"text":"ok"}', 'SSN 123-45-6789'), () => ({}), async (l) => void out.push(l));
    await expect(failure).rejects.toThrow(/^line 2: not valid JSON$/);
    expect(out).toHaveLength(1);
    await expect(run(['{"txt":"x"}'])).rejects.toThrow('line 1: expected an object with a string "text"');
  });

  it('hash mode requires STEWARD_PII_HMAC_KEY', () => {
    expect(() => readHmacKey({})).toThrow('STEWARD_PII_HMAC_KEY: required for --mode hash');
    expect(readHmacKey({ STEWARD_PII_HMAC_KEY: `hex:${'ab'.repeat(16)}` })).toHaveLength(16);
  });
});
