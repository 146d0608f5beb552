// Erasure "in any spelling", on the real Postgres vault: a phone or IP address tokenized as one spelling is erased
// by another (E.164 and canonical addresses), and each spelling still restores exactly as it was written.
import type { Pool } from 'pg';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import type { PiiVault } from '../../src/codec/pii-vault/pii-vault';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
let tenant: TenantId;
let app: Pool;
let keys: KeyringFactory;
const vault = (): PiiVault => createTenantPiiVault(config, app, keys.keyringFor(tenant), { cacheTtlMs: 0 });

beforeAll(async () => {
  tenant = await createTestTenant('erase-spellings');
  app = createPool(config.appDatabaseUrl, { max: 4 });
  keys = createKeyringFactory(config, app);
});
afterAll(async () => {
  keys?.close();
  await app?.end();
});

test.each([
  ['phone', '+1 415-555-2671', '(415) 555-2671', '4155552671'],
  ['phone', '+44 20 7946 0958', '0044 20 7946 0958', '+442079460958'],
  ['ip_address', '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:DB8:0:0:0:0:0:1'],
  ['ip_address', '::ffff:192.0.2.1', '::ffff:c000:201', '192.0.2.1'],
])('a %s tokenized as %s and as %s is erased whole by a third spelling', async (type, first, second, third) => {
  const [one, two] = [await vault().tokenize(type, first), await vault().tokenize(type, second)];
  expect([await vault().detokenize(one), await vault().detokenize(two)]).toEqual([first, second]);

  expect(await vault().erase(third)).toMatchObject({ count: 2, types: [type] });
  expect([await vault().detokenize(one), await vault().detokenize(two)]).toEqual([undefined, undefined]);
});

test('erasing one number leaves its neighbour alone', async () => {
  const kept = await vault().tokenize('phone', '+1 415-555-2672');
  await vault().tokenize('phone', '+1 415-555-2673');
  expect(await vault().erase('(415) 555-2673')).toMatchObject({ count: 1, types: ['phone'] });
  expect(await vault().detokenize(kept)).toBe('+1 415-555-2672');
});
