// A hostile definition author's catastrophic-backtracking pattern: custom detectors and JSON Schema patterns run
// in linear time, and patterns the linear engine cannot run are refused at validation, naming the field.
import { assertValidInput } from '../../src/definitions/input-validator';
import { validateDefinition } from '../../src/ir/validate';
import { createOutputValidator } from '../../src/llm/output-validator';
import { applyDataPolicySync, detectPii } from '../../src/pii';
import { DataPolicy } from '../../src/pii/policy';
import { createRawDefinition } from '../support/definitions';

// 31 characters: about 28 s on a backtracking engine, each further character doubling it.
const ATTACK_INPUT = `${'a'.repeat(30)}!`;
const EVIL = '(a+)+$';
const FAST_MS = 3_000;

function timed<T>(run: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = run();
  return { value, ms: performance.now() - started };
}

describe('when a definition author writes a custom detector that backtracks catastrophically', () => {
  it('detects with (a+)+$ against the attack input in linear time', () => {
    const { value, ms } = timed(() => detectPii(ATTACK_INPUT, { detectors: [], customDetectors: [{ name: 'evil', pattern: EVIL }] }));
    expect(value).toEqual([]);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('applies a data policy holding it to a run payload in linear time, still finding real matches', () => {
    const policy = DataPolicy.parse({ pii_detectors: [], custom_detectors: [{ name: 'evil', pattern: EVIL }] });
    const { value, ms } = timed(() =>
      applyDataPolicySync({ name: ATTACK_INPUT, other: 'xx aaaa' }, policy, { hmacKey: new Uint8Array(32) }),
    );
    expect(ms).toBeLessThan(FAST_MS);
    expect(value).toEqual({ name: ATTACK_INPUT, other: expect.not.stringContaining('aaaa') });
  });

  it('keeps flags and positions: case-insensitive, offsets in UTF-16 units', () => {
    const spans = detectPii('😀 Order-AB12 order-cd34', { detectors: [], customDetectors: [{ name: 'order', pattern: 'order-[a-z]{2}\\d{2}', flags: 'i' }] });
    expect(spans.map((span) => [span.start, span.end])).toEqual([[3, 13], [14, 24]]);
  });

  it('refuses at validation a pattern the linear engine cannot run, naming the field', () => {
    const result = validateDefinition(
      createRawDefinition(
        { done: { type: 'end' } },
        {
          data_policy: { custom_detectors: [{ name: 'ok', pattern: EVIL }, { name: 'backref', pattern: '(a+)\\1' }] },
          input: { type: 'object', properties: { code: { type: 'string', pattern: '^(?=a)a+$' } } },
        },
      ),
    );
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
    expect(issues).toEqual([
      expect.stringMatching(/^data_policy\.custom_detectors\[1\]\.pattern: not a pattern the linear-time \(RE2\) engine accepts: .*\\1/),
      expect.stringMatching(/^input\.properties\.code\.pattern: not a pattern the linear-time \(RE2\) engine accepts: .*\(\?=/),
    ]);
  });
});

describe('when a definition author puts a backtracking pattern in a JSON Schema', () => {
  it('checks a run input against it in linear time', () => {
    const schema = { type: 'object', properties: { name: { type: 'string', pattern: `^${EVIL}` } } };
    const { ms } = timed(() => expect(() => assertValidInput(schema, { name: ATTACK_INPUT }, 'redos-input')).toThrow(/input\.name: must match pattern/));
    expect(ms).toBeLessThan(FAST_MS);
    expect(() => assertValidInput(schema, { name: 'aaaa' }, 'redos-input')).not.toThrow();
  });

  it('checks a model output against it in linear time', () => {
    const validate = createOutputValidator({ type: 'object', properties: { name: { type: 'string', pattern: EVIL } } });
    const { value, ms } = timed(() => validate(JSON.stringify({ name: ATTACK_INPUT })));
    expect(ms).toBeLessThan(FAST_MS);
    expect(value.ok).toBe(false);
  });
});
