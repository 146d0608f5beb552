// The shared data converter with a real tenant keyring (Vault Transit, Postgres): every payload and every failure
// message leaves encrypted and comes back whole; large payloads are compressed first; anything altered, or a
// payload of another namespace, is refused; payloads that were never encrypted still read.
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import {
  decode,
  decodeOptionalFailureToOptionalError,
  encode,
  encodeErrorToFailure,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import type { Pool } from 'pg';
import { COMPRESSION_METADATA, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/codec/encryption-codec';
import { createTenantDataConverter } from '../../src/codec/data-converter';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { historyText } from '../support/history-text';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
const CANARY = 'ada.lovelace@example.com';
const THRESHOLD = 4 * 1024;
let pool: Pool;
let keyrings: KeyringFactory;
let tenant: TenantId;
let other: TenantId;

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTestTenant('codec-a'), createTestTenant('codec-b')]);
  pool = createPool(config.appDatabaseUrl, { max: 4 });
  keyrings = createKeyringFactory(config, pool);
});
afterAll(async () => {
  keyrings?.close();
  await pool?.end();
});

const converterFor = (id: TenantId, piiCodec?: PayloadCodec) =>
  loadDataConverter(createTenantDataConverter({ keyring: keyrings.keyringFor(id), namespace: id, compressAboveBytes: THRESHOLD, piiCodec }));
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const payloadOf = (value: unknown) => defaultPayloadConverter.toPayload(value);

test('every payload leaves as binary/encrypted with its key id and returns whole', async () => {
  const { payloadCodecs } = converterFor(tenant);
  const originals = [payloadOf({ email: CANARY, amount: 12 }), payloadOf('plain text'), payloadOf(null), payloadOf(new Uint8Array([1, 2, 3]))];
  const encoded = await encode(payloadCodecs, originals);
  const [active] = (await keyrings.keyringFor(tenant).listKeys()).filter((key) => key.active);
  for (const payload of encoded) {
    expect(text(payload.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(payload.metadata?.[KEY_ID_METADATA])).toBe(active?.keyId);
    expect(Object.keys(payload.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA]);
  }
  expect(historyText(encoded)).not.toContain(CANARY);
  expect(historyText(encoded)).not.toContain('json/plain');
  const decoded = await decode(payloadCodecs, encoded);
  expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([{ email: CANARY, amount: 12 }, 'plain text', null, new Uint8Array([1, 2, 3])]);
});

test('payloads above the threshold are deflated before sealing, smaller ones are not, and both round-trip', async () => {
  const { payloadCodecs } = converterFor(tenant);
  const large = payloadOf({ rows: Array.from({ length: 400 }, (_, i) => ({ id: i, email: CANARY, note: 'same words again' })) });
  const small = payloadOf({ email: CANARY });
  const [sealedLarge, sealedSmall] = await encode(payloadCodecs, [large, small]);
  expect(large.data!.length).toBeGreaterThan(THRESHOLD);
  expect(text(sealedLarge!.metadata?.[COMPRESSION_METADATA])).toBe('deflate-raw');
  expect(sealedLarge!.data!.length).toBeLessThan(large.data!.length / 5);
  expect(sealedSmall!.metadata?.[COMPRESSION_METADATA]).toBeUndefined();
  const [openedLarge, openedSmall] = await decode(payloadCodecs, [sealedLarge!, sealedSmall!]);
  expect(defaultPayloadConverter.fromPayload(openedLarge!)).toEqual(defaultPayloadConverter.fromPayload(large));
  expect(defaultPayloadConverter.fromPayload(openedSmall!)).toEqual({ email: CANARY });
});

test('altered data, a dropped compression flag or a missing key id is a clear error, never garbage', async () => {
  const { payloadCodecs } = converterFor(tenant);
  const large = payloadOf({ rows: Array.from({ length: 400 }, (_, i) => ({ id: i, note: 'same words again' })) });
  const [sealed, sealedSmall] = await encode(payloadCodecs, [large, payloadOf({ ok: true })]);
  const data = new Uint8Array(sealedSmall!.data!);
  data[20] = data[20]! ^ 0xff;
  await expect(decode(payloadCodecs, [{ ...sealedSmall!, data }])).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('do not authenticate') });
  const { [COMPRESSION_METADATA]: _flag, ...unflagged } = sealed!.metadata!;
  await expect(decode(payloadCodecs, [{ ...sealed!, metadata: unflagged }])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  const { [KEY_ID_METADATA]: _keyId, ...keyless } = sealedSmall!.metadata!;
  await expect(decode(payloadCodecs, [{ ...sealedSmall!, metadata: keyless }])).rejects.toMatchObject({
    code: 'INPUT_INVALID',
    message: expect.stringContaining(KEY_ID_METADATA),
  });
});

test("another tenant's converter refuses the payloads; a context naming another namespace is refused", async () => {
  const [sealed] = await encode(converterFor(tenant).payloadCodecs, [payloadOf({ email: CANARY })]);
  await expect(decode(converterFor(other).payloadCodecs, [sealed!])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  const context = { type: 'workflow', namespace: other, workflowId: 'w' } as const;
  await expect(encode(converterFor(tenant).payloadCodecs, [payloadOf(1)], context)).rejects.toMatchObject({ code: 'TENANT_INVALID' });
  await expect(decode(converterFor(tenant).payloadCodecs, [sealed!], context)).rejects.toMatchObject({ code: 'TENANT_INVALID' });
  const own = { type: 'workflow', namespace: tenant, workflowId: 'w' } as const;
  expect(defaultPayloadConverter.fromPayload((await decode(converterFor(tenant).payloadCodecs, [sealed!], own))[0]!)).toEqual({ email: CANARY });
});

test('payloads that were never encrypted (older histories, codec-less signals) pass through decode unchanged', async () => {
  const recorded = payloadOf({ recorded: 'before the codec' });
  const [decoded] = await decode(converterFor(tenant).payloadCodecs, [recorded]);
  expect(decoded).toBe(recorded);
});

test('failure messages and stack traces are encoded, then encrypted; the client gets them back', async () => {
  const converter = converterFor(tenant);
  const error = new Error(`tool failed for ${CANARY}`);
  const failure = await encodeErrorToFailure(converter, error);
  expect(failure.message).toBe('Encoded failure');
  expect(failure.stackTrace).toBe('');
  expect(text(failure.encodedAttributes?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(historyText(failure)).not.toContain(CANARY);
  const back = await decodeOptionalFailureToOptionalError(converter, failure);
  expect(back?.message).toBe(`tool failed for ${CANARY}`);
  expect(back?.stack).toContain(CANARY);
});

test('a PII codec runs first on the way out and last on the way in: it sees plaintext payloads only', async () => {
  const seen: string[] = [];
  const marker: PayloadCodec = {
    async encode(payloads: Payload[]) {
      seen.push(...payloads.map((p) => `encode:${text(p.metadata?.encoding)}`));
      return payloads.map((p) => ({ ...p, metadata: { ...p.metadata, tokenized: new TextEncoder().encode('yes') } }));
    },
    async decode(payloads: Payload[]) {
      seen.push(...payloads.map((p) => `decode:${text(p.metadata?.encoding)}:${text(p.metadata?.tokenized)}`));
      return payloads;
    },
  };
  const { payloadCodecs } = converterFor(tenant, marker);
  const encoded = await encode(payloadCodecs, [payloadOf({ email: CANARY })]);
  expect(encoded[0]!.metadata?.tokenized).toBeUndefined();
  await decode(payloadCodecs, encoded);
  expect(seen).toEqual(['encode:json/plain', 'decode:json/plain:yes']);
});
