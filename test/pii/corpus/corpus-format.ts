// The labelled corpus format shared by the generator, the evaluation script, the benchmark and the tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabelledSpan {
  type: string;
  start: number;
  end: number;
}

export interface LabelledText {
  text: string;
  spans: LabelledSpan[];
}

export const CORPUS_DIR = join(__dirname, '..', '..', '..', '..', 'test', 'pii', 'corpus');
export const CORPUS_FILES = ['generated.jsonl', 'hard-cases.jsonl'] as const;

/** Reads the labelled corpus from the source tree (works from `dist/` and from ts sources alike). */
export function readCorpus(dir: string = findCorpusDir()): LabelledText[] {
  return CORPUS_FILES.flatMap((file) => readJsonl(join(dir, file)));
}

/** Splits of the real-world corpus (world/generate-world.ts): `tune` to work on, `heldout` to report. */
export type WorldSplit = 'tune' | 'heldout';

/** Reads one split of the real-world corpus from the source tree. */
export function readWorldCorpus(split: WorldSplit, dir: string = findCorpusDir()): LabelledText[] {
  return readJsonl(join(dir, 'world', `world-${split}.jsonl`));
}

function readJsonl(path: string): LabelledText[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LabelledText);
}

function findCorpusDir(): string {
  // from test/pii/corpus (ts) the files sit beside this module; from dist/test/pii/corpus they are in the source tree
  return __dirname.includes(`${join('dist', 'test')}`) ? CORPUS_DIR : __dirname;
}

/** Turns `[[type|value]]` markup into text plus spans; the markup itself never appears in the text. */
export function parseMarkup(line: string): LabelledText {
  const spans: LabelledSpan[] = [];
  let text = '';
  let cursor = 0;
  const markup = /\[\[([a-z_]+)\|(.*?)\]\]/g;
  for (let m = markup.exec(line); m !== null; m = markup.exec(line)) {
    text += line.slice(cursor, m.index);
    spans.push({ type: m[1]!, start: text.length, end: text.length + m[2]!.length });
    text += m[2]!;
    cursor = m.index + m[0].length;
  }
  return { text: text + line.slice(cursor), spans };
}
