import { isDuration, parseDuration } from '../../src/ir/duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['48h', 172_800_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', 's', '1.5h', '-1s', '30 s', '1w', '999999999d999999999d999999999d999999999d'])('rejects %j', (text) => {
    expect(isDuration(text)).toBe(false);
    expect(() => parseDuration(text)).toThrow();
  });
});
