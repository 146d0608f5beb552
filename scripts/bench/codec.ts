// Benchmark: encode+decode MB/s of 1 KB, 64 KB and 1 MB JSON payloads through the real tenant data converter
// (createTenantDataConverter, the tenant's data key from Vault Transit, cached after first use), next to bare
// node:crypto AES-256-GCM sealing and opening the same payload bytes in the same run. The payloads come from the
// SDK's own JSON converter; that step is the same for both and is not timed. Prints both rates and their ratio
// (target >= 0.5), with compression as configured and with it off, so the cost of deflating shows on its own.
// Variants alternate in short rounds and each ratio is the median of per-round ratios, so a busy machine's load
// falls on both sides alike. The "codec + PII tokenization" rows put the PII codec in front, as workers and clients
// run it: on payloads without PII (the cost of scanning) and with an email in every record (tokenizing through the
// tenant's Postgres vault). Every round trip gets a payload of its own, with emails never seen before, so the "with
// PII" rows pay for writing new vault entries as a stream of distinct runs would, not for hits in the codec's cache;
// building the payloads is not timed.
// Run: npx tsc -p . ; node bin/steward.js dev --detach ; node dist/scripts/bench/codec.js [--rounds 15] [--mb 2]
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { createKeyringFactory, createTenantDataConverter, type KeyringFactory } from '../../src/codec';
import { COMPRESSION_METADATA } from '../../src/codec/encryption-codec';
import { createPiiCodec } from '../../src/codec/pii-codec';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { loadRuntimeConfig, type RuntimeConfig } from '../../src/config/runtime';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { integerArgument } from './support/arguments';
import { withBenchTenant } from './support/bench-tenant';

const SIZES = [{ label: '1 KB', bytes: 1024 }, { label: '64 KB', bytes: 64 * 1024 }, { label: '1 MB', bytes: 1024 * 1024 }];
const TARGET_RATIO = 0.5;
const MIN_ITERATIONS = 8;
/** The variant doing the baseline's work (sealing and opening, no deflating), which the target compares. */
const ENCRYPTION_ONLY = 'codec, no compression';

/** One round trip of a payload through a chain of codecs, the way the SDK runs them: in order, then in reverse. */
async function roundTrip(codecs: readonly PayloadCodec[], payload: Payload): Promise<void> {
  let payloads = [payload];
  for (const codec of codecs) payloads = await codec.encode(payloads);
  for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
}

/** The baseline: seal and open the same bytes with AES-256-GCM and a fresh IV, nothing else. */
function createBareAesGcm(): (data: Uint8Array) => void {
  const key = randomBytes(32);
  return (data) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const sealed = Buffer.concat([cipher.update(data), cipher.final()]);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(cipher.getAuthTag());
    Buffer.concat([decipher.update(sealed), decipher.final()]);
  };
}

const WORDS = 'invoice refund amount approved customer request summary classify route submit pending total currency'.split(' ');

/** A JSON payload of run-like records (ids, times, words, numbers), about `bytes` of data; seeded. `withPii` gives
 *  every record a customer's email, a distinct value each (and distinct across seeds), so the PII codec has
 *  something new to tokenize. */
function payloadOfSize(bytes: number, withPii = false, seed = 42): Payload {
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const records: unknown[] = [];
  for (let size = 2; size < bytes; ) {
    const record = {
      id: `run_${Math.floor(next() * 1e12)}`,
      at: new Date(1_700_000_000_000 + Math.floor(next() * 1e10)).toISOString(),
      node: WORDS[Math.floor(next() * WORDS.length)],
      text: Array.from({ length: 8 + Math.floor(next() * 24) }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' '),
      amount: Math.floor(next() * 1e7) / 100,
      ...(withPii ? { contact: `customer.${seed}.${records.length}@example.org` } : {}),
    };
    records.push(record);
    size += JSON.stringify(record).length + 1;
  }
  return defaultPayloadConverter.toPayload(records);
}

/** Payloads of one size and kind, a new one (new ids, new emails) each time; the first one sizes the rounds. */
function createPayloadSource(bytes: number, withPii: boolean): { first: Payload; next(): Payload } {
  let seed = 42;
  const first = payloadOfSize(bytes, withPii, seed);
  return { first, next: () => payloadOfSize(bytes, withPii, ++seed) };
}

/** MB/s over as many fresh payloads as make up `totalBytes`; only the round trips are timed, not building payloads. */
async function megabytesPerSecond(source: { first: Payload; next(): Payload }, totalBytes: number, once: (payload: Payload) => Promise<void> | void): Promise<number> {
  const size = source.first.data!.length;
  // a large payload still runs several times a round: one or two runs would measure a garbage collection, not the codec
  const iterations = Math.max(MIN_ITERATIONS, Math.round(totalBytes / size));
  let elapsed = 0n;
  let bytes = 0;
  for (let i = 0; i < iterations; i++) {
    const payload = source.next();
    const started = process.hrtime.bigint();
    await once(payload);
    elapsed += process.hrtime.bigint() - started;
    bytes += payload.data!.length;
  }
  return bytes / 1e6 / (Number(elapsed) / 1e9);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Variant {
  label: string;
  codecs: readonly PayloadCodec[];
}

/** The variants measured against the bare baseline; `extraCodec` runs before encryption (the PII codec). */
function createVariants(keyrings: KeyringFactory, tenant: TenantId, extraCodec?: { label: string; codec: PayloadCodec }): Variant[] {
  const keyring = keyrings.keyringFor(tenant);
  const converter = (compressAboveBytes: number, piiCodec?: PayloadCodec) =>
    createTenantDataConverter({ keyring, namespace: tenant, compressAboveBytes, piiCodec }).payloadCodecs ?? [];
  const variants: Variant[] = [
    { label: 'codec', codecs: converter(keyrings.compressAboveBytes) },
    { label: ENCRYPTION_ONLY, codecs: converter(Number.MAX_SAFE_INTEGER) },
  ];
  if (extraCodec) variants.push({ label: `codec + ${extraCodec.label}`, codecs: converter(keyrings.compressAboveBytes, extraCodec.codec) });
  return variants;
}

async function bench(config: RuntimeConfig, tenant: TenantId, rounds: number, totalBytes: number): Promise<void> {
  const pool = createPool(config.appDatabaseUrl, { max: 2 });
  const keyrings = createKeyringFactory(config, pool);
  try {
    // The PII codec as workers and clients run it: the tenant's Postgres vault with its in-process cache.
    const piiCodec = createPiiCodec({ vault: createTenantPiiVault(config, pool, keyrings.keyringFor(tenant)), namespace: tenant });
    const variants = createVariants(keyrings, tenant, { label: 'PII tokenization', codec: piiCodec });
    const bare = createBareAesGcm();
    console.log(`tenant ${tenant}; compression above ${keyrings.compressAboveBytes} bytes; ${rounds} alternating rounds of ~${totalBytes / 1e6} MB (at least ${MIN_ITERATIONS} payloads) per variant and size; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    let missed = false;
    for (const size of SIZES) for (const withPii of [false, true]) {
      const source = createPayloadSource(size.bytes, withPii);
      const payload = source.first;
      // Warm-up: the first seal fetches (or creates) the tenant's key from Vault and Postgres.
      for (const variant of variants) await roundTrip(variant.codecs, source.next());
      const [sealed] = await variants[0]!.codecs.at(-1)!.encode([payload]);
      const compressed = sealed?.metadata?.[COMPRESSION_METADATA] !== undefined;
      const bareRates: number[] = [];
      const rates = new Map<string, number[]>(variants.map((v) => [v.label, []]));
      const ratios = new Map<string, number[]>(variants.map((v) => [v.label, []]));
      for (let round = 0; round < rounds; round++) {
        // The order rotates every round, so no variant always runs right after another's garbage.
        const order = [undefined, ...variants].map((_, i, all) => all[(i + round) % all.length]);
        const measured = new Map<Variant | undefined, number>();
        for (const variant of order) {
          const once = variant ? (fresh: Payload) => roundTrip(variant.codecs, fresh) : (fresh: Payload) => bare(fresh.data!);
          measured.set(variant, await megabytesPerSecond(source, totalBytes, once));
        }
        const baseline = measured.get(undefined)!;
        bareRates.push(baseline);
        for (const variant of variants) {
          rates.get(variant.label)!.push(measured.get(variant)!);
          ratios.get(variant.label)!.push(measured.get(variant)! / baseline);
        }
      }
      console.log(`\n${size.label} (${payload.data!.length} bytes of JSON${withPii ? ', a new email in every record' : ', no PII'}${compressed ? ', compressed by the codec' : ''}; a new payload each round trip)`);
      console.log(`  bare AES-256-GCM        ${median(bareRates).toFixed(1).padStart(8)} MB/s`);
      for (const variant of variants) {
        const ratio = median(ratios.get(variant.label)!);
        if (variant.label === ENCRYPTION_ONLY && !withPii && ratio < TARGET_RATIO) missed = true;
        console.log(`  ${variant.label.padEnd(22)} ${median(rates.get(variant.label)!).toFixed(1).padStart(8)} MB/s   ratio ${ratio.toFixed(2)}`);
      }
    }
    console.log(`\ntarget: ${ENCRYPTION_ONLY} / bare >= ${TARGET_RATIO} at every size, without PII: ${missed ? 'MISSED' : 'met'}`);
    console.log('(above the compression threshold the codec also deflates, which bare AES-GCM does not: that row shows its cost)');
  } finally {
    keyrings.close();
    await pool.end();
  }
}


async function main(): Promise<void> {
  const rounds = integerArgument('--rounds', 15);
  const totalBytes = integerArgument('--mb', 2) * 1e6;
  const config = loadRuntimeConfig();
  await withBenchTenant(config, 'bench-codec', (tenant) => bench(config, tenant, rounds, totalBytes));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
