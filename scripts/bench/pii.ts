// Benchmark: MB/s of detect+mask over a generated ~20 MB mixed JSON corpus on one core, next to
// @openredaction/openredaction on the same corpus, plus both engines' precision/recall/F1 on the labelled corpus.
// Run: npx tsc -p . ; node dist/scripts/bench/pii.js [--mb 20] [--peer-seconds 60]
import { OpenRedaction } from '@openredaction/openredaction';
import { DataPolicy } from '../../src/pii/policy';
import { applyDataPolicySync } from '../../src/pii/apply-data-policy';
import { detectPii } from '../../src/pii/detect';
import { createGenerators, createRandom, generateCorpus } from '../../test/pii/corpus/generate';
import { readCorpus, type LabelledSpan } from '../../test/pii/corpus/corpus-format';
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
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

/** Records shaped like agent run data: ids, timestamps, nested user data, free text, numbers. */
function generateJsonCorpus(targetBytes: number): unknown[] {
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
  return records;
}

function forEachString(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((v) => forEachString(v, visit));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => forEachString(v, visit));
}

function megabytes(bytes: number): number {
  return bytes / 1e6;
}

function measureSteward(corpus: unknown[], bytes: number): number {
  const policy = DataPolicy.parse({ redaction_mode: 'mask' });
  const context = { hmacKey: new Uint8Array(32) };
  applyDataPolicySync(corpus.slice(0, 200), policy, context); // warm up the JIT
  const started = process.hrtime.bigint();
  applyDataPolicySync(corpus, policy, context);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return megabytes(bytes) / seconds;
}

function createPeer(): OpenRedaction {
  return new OpenRedaction({ includeNames: false, includeAddresses: false, redactionMode: 'mask-middle' });
}

/** The peer is much slower; it runs over a prefix of the corpus until its time budget is spent. */
function measurePeer(corpus: unknown[], budgetSeconds: number): { mbPerSecond: number; fraction: number } {
  const peer = createPeer();
  let processed = 0;
  let total = 0;
  for (const record of corpus) total += JSON.stringify(record).length + 1;
  const started = process.hrtime.bigint();
  let seconds = 0;
  for (const record of corpus) {
    forEachString(record, (text) => void peer.detect(text).redacted);
    processed += JSON.stringify(record).length + 1;
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (seconds > budgetSeconds) break;
  }
  return { mbPerSecond: megabytes(processed) / seconds, fraction: processed / total };
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
  const targetMb = argument('--mb', 20);
  const corpus = generateJsonCorpus(targetMb * 1e6);
  const bytes = corpus.reduce<number>((sum, r) => sum + JSON.stringify(r).length + 1, 0);
  console.log(`corpus: ${corpus.length} records, ${megabytes(bytes).toFixed(1)} MB of JSON\n`);

  const ours = measureSteward(corpus, bytes);
  const peer = measurePeer(corpus, argument('--peer-seconds', 60));
  console.log(`steward       detect+mask ${ours.toFixed(2)} MB/s (whole corpus)`);
  console.log(`openredaction detect+mask ${peer.mbPerSecond.toFixed(2)} MB/s (first ${(peer.fraction * 100).toFixed(1)}% of the corpus)`);
  console.log(`speed ratio   ${(ours / peer.mbPerSecond).toFixed(1)}x\n`);

  const labelled = readCorpus();
  const stewardScores = scoreDetector(labelled, (text) => detectPii(text)).scores;
  const peerEngine = createPeer();
  const peerScores = scoreDetector(labelled, (text) => peerSpans(peerEngine, text)).scores;
  console.log(`steward on ${labelled.length} labelled texts\n${formatScores(stewardScores)}\n`);
  console.log(`openredaction on the same texts\n${formatScores(peerScores)}\n`);
  console.log(`F1 (all types): steward ${overall(stewardScores).f1.toFixed(3)} vs openredaction ${overall(peerScores).f1.toFixed(3)}`);
}

if (require.main === module) main();
