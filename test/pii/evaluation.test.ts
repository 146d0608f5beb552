// The engine meets its targets on the labelled corpus: precision ≥ 0.98 and recall ≥ 0.95 per structured type.
import { detectPii } from '../../src/pii/detect';
import { scoreDetector } from '../../scripts/pii-eval';
import { readCorpus, readWorldCorpus } from './corpus/corpus-format';

describe('evaluation on the labelled corpus', () => {
  const { scores } = scoreDetector(readCorpus(), (text) => detectPii(text));

  it.each(scores.map((s) => [s.type, s] as const))('%s meets the targets', (_type, score) => {
    expect(score.precision).toBeGreaterThanOrEqual(0.98);
    expect(score.recall).toBeGreaterThanOrEqual(0.95);
  });
});

describe('evaluation on the held-out split of the real-world corpus (test/pii/corpus/world)', () => {
  const { scores } = scoreDetector(readWorldCorpus('heldout'), (text) => detectPii(text));

  it.each(scores.map((s) => [s.type, s] as const))('%s meets the targets', (_type, score) => {
    expect(score.precision).toBeGreaterThanOrEqual(0.98);
    expect(score.recall).toBeGreaterThanOrEqual(0.95);
  });
});
