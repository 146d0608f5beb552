// The PII codec walks payloads recursively: one nested past its depth limit is refused with a clear LIMIT_EXCEEDED
// error, where a 20k-deep payload used to throw RangeError (Maximum call stack size exceeded).
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Pool } from 'pg';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPiiCodec, MAX_PAYLOAD_DEPTH } from '../../src/codec/pii-codec';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { createPool } from '../../src/db/pool';
import { namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
let tenant: TenantId;
let app: Pool;
let keys: KeyringFactory;

beforeAll(async () => {
  tenant = await createTestTenant('piidepth');
  app = createPool(config.appDatabaseUrl, { max: 2 });
  keys = createKeyringFactory(config, app);
});
afterAll(async () => {
  keys?.close();
  await app?.end();
});

// Written as text: JSON.stringify itself overflows the stack on such a value.
function nestedPayload(depth: number, leaf: string): Payload {
  const pairs = Math.floor(depth / 2);
  const text = `${'[{"a":'.repeat(pairs)}${JSON.stringify(leaf)}${'}]'.repeat(pairs)}`;
  return { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(text) };
}

test('a 20k-deep payload is refused with an error naming the depth limit, not a stack overflow', async () => {
  const codec = createPiiCodec({ vault: createTenantPiiVault(config, app, keys.keyringFor(tenant), { cacheTtlMs: 0 }), namespace: namespaceForTenant(tenant, '') });
  const deep = nestedPayload(20_000, 'write to deep.canary@example.org');
  await expect(codec.encode([deep])).rejects.toMatchObject({
    code: 'LIMIT_EXCEEDED',
    message: `pii codec: a payload nests deeper than the limit of ${MAX_PAYLOAD_DEPTH} levels`,
  });
  // Within the limit, PII is still tokenized.
  const [encoded] = await codec.encode([nestedPayload(MAX_PAYLOAD_DEPTH, 'write to deep.canary@example.org')]);
  expect(Buffer.from(encoded!.data!).toString()).not.toContain('deep.canary@example.org');
  const [decoded] = await codec.decode([encoded!]);
  expect(JSON.stringify(defaultPayloadConverter.fromPayload(decoded!))).toContain('deep.canary@example.org');
});
