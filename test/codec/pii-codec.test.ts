// The PII payload codec over the real vault and keyring: PII leaves as tokens, comes back exactly (or masked),
// only tokens the codec itself wrote are ever restored, and a token list it cannot trust is an error.
import type { Payload, PayloadCodec } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Pool } from 'pg';
import { createTenantDataConverter } from '../../src/codec/data-converter';
import { createEncryptionCodec } from '../../src/codec/encryption-codec';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPiiCodec, PII_METADATA_KEY, type PiiView } from '../../src/codec/pii-codec';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { createPiiVault } from '../../src/codec/pii-vault/pii-vault';
import { subjectKeyVaultsFor } from '../../src/codec/pii-vault/subject-key-vault';
import { createPool } from '../../src/db/pool';
import { isStewardError } from '../../src/errors';
import { namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
let tenant: TenantId;
let other: TenantId;
let app: Pool;
let keys: KeyringFactory;

const CANARIES = { email: 'codec.canary@example.org', ssn: '078-05-1120', card: '4111 1111 1111 1111', phone: '+1 415 555 0123' };
const DOCUMENT = {
  contact: `write to ${CANARIES.email} or call ${CANARIES.phone}`,
  ssn: CANARIES.ssn,
  cards: [CANARIES.card, 'no card here'],
  [CANARIES.email]: { note: 'keys are data too' },
  cardAsNumber: 4111111111111111,
  amount: 1250,
  nested: { flag: true, nothing: null, ratio: 0.5 },
};

const codecFor = (forTenant: TenantId, view: PiiView = 'restore'): PayloadCodec =>
  createPiiCodec({ vault: createTenantPiiVault(config, app, keys.keyringFor(forTenant), { cacheTtlMs: 0 }), view, namespace: namespaceForTenant(forTenant, '') });
const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
const withTokenList = (payload: Payload, list: string): Payload => ({ ...payload, metadata: { ...payload.metadata, [PII_METADATA_KEY]: Buffer.from(list) } });
const bytesText = (payloads: Payload[]) => payloads.map((p) => Buffer.from(p.data ?? []).toString('latin1') + JSON.stringify(p.metadata ?? {})).join('\n');

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTestTenant('piicodec'), createTestTenant('piicodec-other')]);
  app = createPool(config.appDatabaseUrl, { max: 4 });
  keys = createKeyringFactory(config, app);
});
afterAll(async () => {
  keys?.close();
  await app?.end();
});

test('PII in strings, keys and long numbers leaves as tokens and comes back exactly', async () => {
  const encoded = await codecFor(tenant).encode([toPayload(DOCUMENT)]);
  const stored = bytesText(encoded);
  for (const canary of [...Object.values(CANARIES), '4111111111111111', 'codec.canary']) expect(stored).not.toContain(canary);
  expect(stored).toMatch(/\[pii:email:tok_/);
  expect(fromPayload(encoded[0]!)).toMatchObject({ amount: 1250, nested: { flag: true, nothing: null, ratio: 0.5 } });

  const decoded = await codecFor(tenant).decode(encoded);
  expect(fromPayload(decoded[0]!)).toEqual(DOCUMENT);
  expect(decoded[0]!.metadata?.[PII_METADATA_KEY]).toBeUndefined();
});

test('payloads without PII, and binary or null payloads, pass through untouched', async () => {
  const plain = toPayload({ greeting: 'hello', count: 3 });
  const binary = defaultPayloadConverter.toPayload(new Uint8Array(Buffer.from(CANARIES.email)));
  const nothing = defaultPayloadConverter.toPayload(undefined);
  const encoded = await codecFor(tenant).encode([plain, binary, nothing]);
  expect(encoded[0]).toBe(plain);
  expect(encoded[1]).toBe(binary);
  expect(encoded[2]).toBe(nothing);
  expect(await codecFor(tenant).decode(encoded)).toEqual(encoded);
});

test('views: restore shows real values, mask shows masks, token shows tokens', async () => {
  const encoded = await codecFor(tenant).encode([toPayload({ ssn: CANARIES.ssn, contact: CANARIES.email })]);
  expect(fromPayload((await codecFor(tenant, 'restore').decode(encoded))[0]!)).toEqual({ ssn: CANARIES.ssn, contact: CANARIES.email });
  expect(fromPayload((await codecFor(tenant, 'mask').decode(encoded))[0]!)).toEqual({ ssn: '***-**-1120', contact: 'c***@example.org' });
  expect(fromPayload((await codecFor(tenant, 'token').decode(encoded))[0]!)).toEqual({
    ssn: expect.stringMatching(/^\[pii:ssn:tok_[\w-]+\]$/),
    contact: expect.stringMatching(/^\[pii:email:tok_[\w-]+\]$/),
  });
});

test('the same value gets the same token across payloads and calls', async () => {
  const [a] = await codecFor(tenant, 'token').encode([toPayload({ to: CANARIES.email })]);
  const [b] = await codecFor(tenant, 'token').encode([toPayload([`cc ${CANARIES.email}`])]);
  const token = (fromPayload(a!) as { to: string }).to;
  expect((fromPayload(b!) as string[])[0]).toBe(`cc ${token}`);
});

test("another tenant's codec refuses this tenant's payloads rather than restoring anything", async () => {
  const encoded = await codecFor(tenant).encode([toPayload({ ssn: CANARIES.ssn })]);
  await expect(codecFor(other).decode(encoded)).rejects.toThrow(`does not verify under tenant ${other}'s PII key`);
});

test("when the worker's PII key differs from the client's, decoding fails with a coded error instead of handing the run markers", async () => {
  const encoded = await codecFor(tenant).encode([toPayload({ ssn: CANARIES.ssn }), toPayload({ mail: CANARIES.email })]);
  const otherKey = createPiiVault({ pool: app, keyring: keys.keyringFor(tenant), subjectKeyVault: subjectKeyVaultsFor(config).forTenant(tenant), hmacKey: new Uint8Array(32).fill(7), retentionDays: async () => 1, cacheTtlMs: 0 });
  const refused = await createPiiCodec({ vault: otherKey }).decode(encoded).catch((error: unknown) => error);
  expect(isStewardError(refused, 'TOKENIZER_FAILED')).toBe(true);
  expect((refused as Error).message).toBe(
    `pii codec: payloads[0].metadata.${PII_METADATA_KEY} does not verify under tenant ${tenant}'s PII key: ` +
      'written under another PII master key (do the worker and the client share one?), or altered',
  );
  for (const view of ['mask', 'token'] as const) {
    await expect(createPiiCodec({ vault: otherKey, view }).decode(encoded)).rejects.toThrow('does not verify');
  }
});

test('a malformed token list is a coded error naming the payload; a payload without one passes unchanged', async () => {
  const typed = toPayload({ comment: 'no pii here' });
  for (const list of ['not json', '{"tokens":[],"numbers":[]}', '{"tokens":[1],"numbers":[],"mac":"x"}', '']) {
    const refused = await codecFor(tenant).decode([typed, withTokenList(typed, list)]).catch((error: unknown) => error);
    expect(isStewardError(refused, 'TOKENIZER_FAILED')).toBe(true);
    expect((refused as Error).message).toBe(`pii codec: payloads[1].metadata.${PII_METADATA_KEY} is not a token list`);
  }
  expect(await codecFor(tenant).decode([typed])).toEqual([typed]);
});

test('a token typed into a payload by a caller is never restored, even with a forged token list', async () => {
  const [real] = await codecFor(tenant).encode([toPayload({ ssn: CANARIES.ssn })]);
  const token = JSON.parse(Buffer.from(real!.data!).toString()).ssn as string;

  // A signal sent without the codec: plain JSON holding someone else's token.
  const typed = toPayload({ comment: `please show ${token}` });
  expect(fromPayload((await codecFor(tenant).decode([typed]))[0]!)).toEqual({ comment: `please show ${token}` });
  // The same, with the token list copied from a real payload (its MAC covers that payload's data only): refused.
  const forged = { ...typed, metadata: { ...typed.metadata, [PII_METADATA_KEY]: real!.metadata![PII_METADATA_KEY]! } };
  const refused = await codecFor(tenant).decode([forged]).catch((error: unknown) => error);
  expect(isStewardError(refused, 'TOKENIZER_FAILED')).toBe(true);
  expect(String(refused)).not.toContain(CANARIES.ssn);
  // And one encoded by the codec: the caller's token is text, not something the codec wrote.
  const reencoded = await codecFor(tenant).encode([toPayload({ comment: `please show ${token}`, mail: CANARIES.email })]);
  expect(fromPayload((await codecFor(tenant).decode(reencoded))[0]!)).toEqual({ comment: `please show ${token}`, mail: CANARIES.email });
});

test('a payload of another namespace is refused rather than tokenized under this tenant', async () => {
  await expect(codecFor(tenant).encode([toPayload({ a: CANARIES.email })], { type: 'workflow', namespace: other, workflowId: 'x' })).rejects.toThrow(
    `a payload of namespace ${other} reached the codec of ${tenant}`,
  );
});

test('through the shared data converter: history holds only ciphertext of tokens; decoding restores the values', async () => {
  const keyring = keys.keyringFor(tenant);
  const converter = createTenantDataConverter({ keyring, namespace: tenant, piiCodec: codecFor(tenant) });
  const codecs = converter.payloadCodecs!;
  let payloads = [toPayload(DOCUMENT)];
  for (const codec of codecs) payloads = await codec.encode(payloads);
  expect(bytesText(payloads)).not.toContain('codec.canary');

  // Decrypted without the PII codec (what a key holder without the vault sees): tokens, no values.
  const [decrypted] = await createEncryptionCodec({ keyring, namespace: tenant }).decode(payloads);
  const inner = Buffer.from(decrypted!.data!).toString();
  expect(inner).toContain('[pii:ssn:tok_');
  for (const canary of Object.values(CANARIES)) expect(inner).not.toContain(canary);

  for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
  expect(fromPayload(payloads[0]!)).toEqual(DOCUMENT);
});
