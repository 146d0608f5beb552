// `steward keys rotate|list` through the built CLI: ids, dates and the active flag, never key material; a
// rotation keeps earlier payloads readable; unknown or malformed tenants are bad input (exit 2).
import type { Pool } from 'pg';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let tenant: TenantId;
let pool: Pool;
let keyrings: KeyringFactory;

beforeAll(async () => {
  tenant = await createTestTenant('keys-cli');
  pool = createPool(config.appDatabaseUrl, { max: 2 });
  keyrings = createKeyringFactory(config, pool);
});
afterAll(async () => {
  keyrings?.close();
  await pool?.end();
});

test('list before any payload says there is no key yet; rotate prints the new key id, and list shows it active', async () => {
  const empty = await runCli(['keys', 'list', '--tenant', tenant]);
  expect(empty).toMatchObject({ code: 0, stdout: 'no keys yet: the first payload creates one\n' });

  const rotated = await runCli(['keys', 'rotate', '--tenant', tenant]);
  expect(rotated.stderr).toBe('');
  expect(rotated.code).toBe(0);
  const keyId = rotated.stdout.trim();
  expect(keyId).toMatch(UUID);

  const listed = await runCli(['keys', 'list', '--tenant', tenant, '--json']);
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout)).toEqual([{ key_id: keyId, created_at: expect.any(String), active: true }]);
});

test('after a rotation from the CLI, what the old key sealed still opens and new seals use the new key', async () => {
  const keyring = keyrings.keyringFor(tenant);
  const before = await keyring.seal(new TextEncoder().encode('sealed before'), 'steward/test');
  const rotated = JSON.parse((await runCli(['keys', 'rotate', '--tenant', tenant, '--json'])).stdout);
  expect(rotated).toMatchObject({ key_id: expect.stringMatching(UUID), active: true });
  expect(rotated.key_id).not.toBe(before.keyId);

  const fresh = createKeyringFactory(config, pool);
  try {
    const reader = fresh.keyringFor(tenant);
    expect(new TextDecoder().decode(await reader.open(before, 'steward/test'))).toBe('sealed before');
    expect((await reader.seal(new Uint8Array([1]), 'steward/test')).keyId).toBe(rotated.key_id);
  } finally {
    fresh.close();
  }

  const listed = await runCli(['keys', 'list', '--tenant', tenant]);
  const lines = listed.stdout.trim().split('\n');
  expect(lines.length).toBeGreaterThanOrEqual(2);
  expect(lines.filter((line) => line.endsWith('\tactive'))).toEqual([expect.stringContaining(rotated.key_id)]);
  expect(lines.find((line) => line.startsWith(before.keyId))).toMatch(/\tretired$/);
  // No key material: no Transit ciphertext and nothing that could be a base64 or hex key.
  expect(listed.stdout).not.toMatch(/vault:v\d+:|[A-Za-z0-9+/]{40,}={0,2}|[0-9a-f]{64}/);
});

test('an unknown tenant or a malformed tenant id is bad input (exit 2) with the reason', async () => {
  const unknown = await runCli(['keys', 'rotate', '--tenant', 'no-such-tenant-here']);
  expect(unknown).toMatchObject({ code: 2, stdout: '' });
  expect(unknown.stderr).toContain('tenant no-such-tenant-here does not exist');
  const malformed = await runCli(['keys', 'list', '--tenant', 'Bad_Tenant']);
  expect(malformed).toMatchObject({ code: 2, stdout: '' });
  expect(malformed.stderr).toContain('invalid tenant id');
});
