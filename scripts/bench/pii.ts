// Benchmark: MB/s of detect+mask over a generated ~20 MB mixed JSON corpus on one core, next to
// @openredaction/openredaction on the same corpus, plus both engines' precision/recall/F1 on a labelled corpus.
// Speed is the median of several alternating rounds, printed with the load average, so a busy machine shows; both
// engines are warmed up on the same records first. Accuracy is scored on `--corpus` (a JSONL file of
// {"text","spans"} lines, or a folder holding the project's corpus files); without it, on the project's own corpus,
// which was written alongside the detectors and so flatters them: the output names the corpus used.
// Run: npx tsc -p . ; node dist/scripts/bench/pii.js [--mb 20] [--rounds 5] [--peer-seconds 60 (total, 0 skips)]
//      [--warmup-records 300] [--corpus PATH]
import { readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { OpenRedaction } from '@openredaction/openredaction';
import { DataPolicy } from '../../src/pii/policy';
import { applyDataPolicySync } from '../../src/pii/apply-data-policy';
import { detectPii } from '../../src/pii/detect';
import { createGenerators, createRandom, generateCorpus } from '../../test/pii/corpus/generate';
import { readCorpus, type LabelledSpan, type LabelledText } from '../../test/pii/corpus/corpus-format';
import { formatScores, scoreDetector, type TypeScore } from '../pii-eval';

// The peer's types that correspond to ours; everything else it reports is outside this comparison.
const PEER_TYPES: Record<string, string> = {
  EMAIL: 'email',
  PHONE_US: 'phone', PHONE_UK: 'phone', PHONE_UK_MOBILE: 'phone', PHONE_INTERNATIONAL: 'phone',
  SSN: 'ssn',
  CREDIT_CARD: 'credit_card',
  IBAN: 'iban', UK_BANK_ACCOUNT_IBAN: 'iban',
  IPV4: 'ip_address', IPV6: 'ip_address',
};

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} takes a non-negative number`);
  return value;
}

function stringArgument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  if (at === -1) return undefined;
  const value = process.argv[at + 1];
  if (value === undefined || value.startsWith('--')) throw new TypeError(`${name} takes a path`);
  return value;
}

/** The labelled texts to score, and where they came from. */
function loadLabelledCorpus(path: string | undefined): { texts: LabelledText[]; source: string } {
  if (path === undefined) return { texts: readCorpus(), source: "the project's own corpus (test/pii/corpus), written alongside the detectors" };
  const full = resolve(path);
  if (statSync(full).isDirectory()) return { texts: readCorpus(full), source: full };
  const texts = readFileSync(full, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const parsed = JSON.parse(line) as Partial<LabelledText>;
      if (typeof parsed.text !== 'string' || !Array.isArray(parsed.spans)) throw new TypeError(`${full}:${index + 1}: each line needs "text" and "spans"`);
      return parsed as LabelledText;
    });
  return { texts, source: full };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function formatLoad(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

/**
 * Records shaped like agent run data: ids, timestamps, nested user data, free text, numbers. They are written out
 * as JSON and parsed back, because that is how payloads reach the engine: as parsed JSON, not as strings a
 * program has just glued together (which V8 keeps as trees of fragments, slower to read for either engine).
 */
export function generateJsonCorpus(targetBytes: number): unknown[] {
  const random = createRandom(7);
  const g = createGenerators(random);
  const texts = generateCorpus(99, 5000).map((r) => r.text);
  const records: unknown[] = [];
  let bytes = 0;
  while (bytes < targetBytes) {
    const record = {
      id: `run_${g.digits(12)}`,
      created_at: new Date(1_700_000_000_000 + Math.floor(random() * 1e10)).toISOString(),
      user: { email: g.email(), phone: g.phone(), last_ip: g.ip() },
      step: { node: g.pick(['classify', 'route', 'submit', 'approve']), attempt: 1 + Math.floor(random() * 3), cost_usd: random() },
      prompt: `${g.pick(texts)} ${g.pick(texts)} Please summarise the request and the amounts involved.`,
      output: { summary: g.pick(texts), tags: ['billing', 'refund', g.pick(['urgent', 'normal'])], amount: Math.floor(random() * 100000) / 100 },
      payment: random() < 0.3 ? { card: g.card(), iban: g.iban() } : null,
    };
    bytes += JSON.stringify(record).length + 1;
    records.push(record);
  }
  return JSON.parse(JSON.stringify(records)) as unknown[];
}

function forEachString(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((v) => forEachString(v, visit));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => forEachString(v, visit));
}

function megabytes(bytes: number): number {
  return bytes / 1e6;
}

const STEWARD_POLICY = DataPolicy.parse({ redaction_mode: 'mask' });
const STEWARD_CONTEXT = { hmacKey: new Uint8Array(32) };

// Each timed section starts from a collected heap: otherwise one engine's garbage, the peer's above all, is
// collected (and billed) during the other's round.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** One pass of detect+mask over the whole corpus: MB/s by the wall clock and by this process's CPU time. */
function measureSteward(corpus: readonly unknown[], bytes: number): { wall: number; cpu: number } {
  collectGarbage();
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  applyDataPolicySync(corpus, STEWARD_POLICY, STEWARD_CONTEXT);
  const wallSeconds = secondsSince(started);
  const cpu = process.cpuUsage(cpuBefore);
  return { wall: megabytes(bytes) / wallSeconds, cpu: megabytes(bytes) / ((cpu.user + cpu.system) / 1e6) };
}

function createPeer(): OpenRedaction {
  return new OpenRedaction({ includeNames: false, includeAddresses: false, redactionMode: 'mask-middle' });
}

/** The peer is much slower: each round runs over the same prefix of the corpus until its time budget is spent. */
function measurePeer(peer: OpenRedaction, corpus: readonly unknown[], sizes: readonly number[], budgetSeconds: number): { mbPerSecond: number; processed: number } {
  let processed = 0;
  let seconds = 0;
  collectGarbage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < corpus.length && seconds <= budgetSeconds; i++) {
    forEachString(corpus[i], (text) => void peer.detect(text).redacted);
    processed += sizes[i]!;
    seconds = secondsSince(started);
  }
  return { mbPerSecond: megabytes(processed) / seconds, processed };
}

/**
 * Alternates Steward and peer rounds so both see the same machine load, and reports each one's median:
 * one slow round (another process, a major GC) moves a median far less than a single measurement.
 */
function measureBoth(corpus: readonly unknown[], rounds: number, peerSeconds: number, warmupRecords: number): void {
  const sizes = corpus.map((r) => JSON.stringify(r).length + 1);
  const bytes = sizes.reduce((sum, size) => sum + size, 0);
  console.log(`corpus: ${corpus.length} records, ${megabytes(bytes).toFixed(1)} MB of JSON; ${rounds} rounds, load average before: ${formatLoad()}`);
  // Both engines warm up (JIT, lazily built patterns) on the same records before anything is timed.
  const warmup = corpus.slice(0, warmupRecords);
  applyDataPolicySync(warmup, STEWARD_POLICY, STEWARD_CONTEXT);
  const peer = createPeer();
  if (peerSeconds > 0) for (const record of warmup) forEachString(record, (text) => void peer.detect(text).redacted);
  console.log(`both engines warmed up on the first ${warmup.length} records\n`);
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const theirs: number[] = [];
  let peerProcessed = 0;
  for (let round = 1; round <= rounds; round++) {
    const steward = measureSteward(corpus, bytes);
    ours.push(steward.wall);
    oursCpu.push(steward.cpu);
    let line = `round ${round}: steward ${steward.wall.toFixed(2)} MB/s (${steward.cpu.toFixed(2)} by CPU time)`;
    if (peerSeconds > 0) {
      const result = measurePeer(peer, corpus, sizes, peerSeconds / rounds);
      theirs.push(result.mbPerSecond);
      peerProcessed = result.processed;
      line += `, openredaction ${result.mbPerSecond.toFixed(3)} MB/s`;
    }
    console.log(`${line} (load ${formatLoad()})`);
  }
  console.log(`\nsteward       detect+mask ${median(ours).toFixed(2)} MB/s (median of ${rounds}, whole corpus each round)`);
  // CPU time (every thread of this process, GC helpers included) barely moves when other processes compete
  console.log(`              by CPU time ${median(oursCpu).toFixed(2)} MB/s (median)`);
  if (peerSeconds > 0) {
    const share = ((peerProcessed / bytes) * 100).toFixed(1);
    console.log(`openredaction detect+mask ${median(theirs).toFixed(3)} MB/s (median of ${rounds}, first ${share}% of the corpus each round)`);
    console.log(`speed ratio   ${(median(ours) / median(theirs)).toFixed(1)}x`);
  }
  console.log(`load average after: ${formatLoad()} (${cpus().length} cores)\n`);
}

function peerSpans(peer: OpenRedaction, text: string): LabelledSpan[] {
  const seen = new Set<string>();
  const spans: LabelledSpan[] = [];
  for (const d of peer.detect(text).detections) {
    const type = PEER_TYPES[d.type];
    if (type === undefined) continue;
    const [start, end] = d.position;
    const key = `${type}:${start}:${end}`;
    if (!seen.has(key)) spans.push({ type, start, end });
    seen.add(key);
  }
  return spans;
}

function overall(scores: readonly TypeScore[]): TypeScore {
  return scores.find((s) => s.type === 'all')!;
}

function main(): void {
  const corpus = generateJsonCorpus(argument('--mb', 20) * 1e6);
  measureBoth(corpus, Math.max(1, Math.round(argument('--rounds', 5))), argument('--peer-seconds', 60), Math.round(argument('--warmup-records', 300)));

  const { texts: labelled, source } = loadLabelledCorpus(stringArgument('--corpus'));
  console.log(`accuracy scored on ${source}`);
  const stewardScores = scoreDetector(labelled, (text) => detectPii(text)).scores;
  const peerEngine = createPeer();
  const peerScores = scoreDetector(labelled, (text) => peerSpans(peerEngine, text)).scores;
  console.log(`steward on ${labelled.length} labelled texts\n${formatScores(stewardScores)}\n`);
  console.log(`openredaction on the same texts\n${formatScores(peerScores)}\n`);
  console.log(`F1 (all types): steward ${overall(stewardScores).f1.toFixed(3)} vs openredaction ${overall(peerScores).f1.toFixed(3)}`);
}

if (require.main === module) main();
