// Scores a PII detector against the labelled corpus (test/pii/corpus) and prints per-type precision, recall
// and F1. A span counts only when type, start and end all match the label exactly.
// `--world tune|heldout` scores one split of the real-world corpus (test/pii/corpus/world) instead.
// Run: npx tsc -p . ; node dist/scripts/pii-eval.js [--world heldout] [--mistakes]
import { BUILTIN_DETECTORS } from '../src/pii/policy';
import { detectPii } from '../src/pii/detect';
import { readCorpus, readWorldCorpus, type LabelledSpan, type LabelledText, type WorldSplit } from '../test/pii/corpus/corpus-format';

export interface TypeScore {
  type: string;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Mistake {
  kind: 'missed' | 'spurious';
  type: string;
  text: string;
  value: string;
}

const SCORED_TYPES: readonly string[] = BUILTIN_DETECTORS;

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

function finish(type: string, tp: number, fp: number, fn: number): TypeScore {
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { type, truePositives: tp, falsePositives: fp, falseNegatives: fn, precision, recall, f1 };
}

/** Per-type scores plus a micro-averaged `all` row over the built-in types; also lists each mistake. */
export function scoreDetector(
  corpus: readonly LabelledText[],
  detect: (text: string) => readonly LabelledSpan[],
): { scores: TypeScore[]; mistakes: Mistake[] } {
  const counts = new Map(SCORED_TYPES.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]));
  const mistakes: Mistake[] = [];
  const key = (s: LabelledSpan): string => `${s.type}:${s.start}:${s.end}`;
  for (const { text, spans } of corpus) {
    const expected = new Set(spans.map(key));
    const found = new Set(detect(text).filter((s) => counts.has(s.type)).map(key));
    for (const span of spans) {
      const c = counts.get(span.type)!;
      if (found.has(key(span))) c.tp++;
      else {
        c.fn++;
        mistakes.push({ kind: 'missed', type: span.type, text, value: text.slice(span.start, span.end) });
      }
    }
    for (const k of found) {
      if (expected.has(k)) continue;
      const [type, start, end] = k.split(':');
      counts.get(type!)!.fp++;
      mistakes.push({ kind: 'spurious', type: type!, text, value: text.slice(Number(start), Number(end)) });
    }
  }
  const scores = [...counts].map(([type, c]) => finish(type, c.tp, c.fp, c.fn));
  const total = [...counts.values()].reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn }), { tp: 0, fp: 0, fn: 0 });
  scores.push(finish('all', total.tp, total.fp, total.fn));
  return { scores, mistakes };
}

export function formatScores(scores: readonly TypeScore[]): string {
  const rows = scores.map(
    (s) =>
      `${s.type.padEnd(12)} ${s.precision.toFixed(3).padStart(9)} ${s.recall.toFixed(3).padStart(7)} ${s.f1.toFixed(3).padStart(6)}` +
      `   tp=${s.truePositives} fp=${s.falsePositives} fn=${s.falseNegatives}`,
  );
  return [`${'type'.padEnd(12)} precision  recall     f1`, ...rows].join('\n');
}

function chosenCorpus(): { name: string; corpus: LabelledText[] } {
  const at = process.argv.indexOf('--world');
  if (at === -1) return { name: 'the labelled corpus', corpus: readCorpus() };
  const split = process.argv[at + 1];
  if (split !== 'tune' && split !== 'heldout') throw new TypeError('--world takes tune or heldout');
  return { name: `the real-world corpus, ${split} split`, corpus: readWorldCorpus(split satisfies WorldSplit) };
}

function main(): void {
  const { name, corpus } = chosenCorpus();
  const { scores, mistakes } = scoreDetector(corpus, (text) => detectPii(text));
  console.log(`PII evaluation on ${corpus.length} texts of ${name} (exact span match)\n`);
  console.log(formatScores(scores));
  if (process.argv.includes('--mistakes')) {
    for (const m of mistakes) console.log(`\n${m.kind} ${m.type}: ${JSON.stringify(m.value)}\n  in ${JSON.stringify(m.text)}`);
  }
}

if (require.main === module) main();
