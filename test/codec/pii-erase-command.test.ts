// `steward pii erase` and `steward pii purge-expired` through the built CLI: counts, exit codes, and audit events
// that say what happened without the value.
import type { Pool } from 'pg';
import { listAuditEvents } from '../../src/audit/audit-log';
import { createKeyringFactory, type KeyringFactory } from '../../src/codec/keys/keyring-factory';
import { createTenantPiiVault } from '../../src/codec/pii-vault/create-tenant-pii-vault';
import { createPool } from '../../src/db/pool';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { runCli } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
let tenant: TenantId;
let app: Pool;
let owner: Pool;
let keys: KeyringFactory;

beforeAll(async () => {
  tenant = await createTestTenant('piicli');
  app = createPool(config.appDatabaseUrl, { max: 2 });
  owner = createPool(config.databaseUrl, { max: 1 });
  keys = createKeyringFactory(config, app);
});
afterAll(async () => {
  keys?.close();
  await app?.end();
  await owner?.end();
});

test('erase prints how many entries it removed and audits the count, never the value', async () => {
  const vault = createTenantPiiVault(config, app, keys.keyringFor(tenant), { cacheTtlMs: 0 });
  const token = await vault.tokenize('email', 'erase.me@example.org');
  const erased = await runCli(['pii', 'erase', '--tenant', tenant, '--value', 'Erase.Me@example.org']);
  expect(erased).toMatchObject({ code: 0, stdout: 'erased 1 vault entry\n', stderr: '' });
  expect(await vault.detokenize(token)).toBeUndefined();
  expect((await runCli(['pii', 'erase', '--tenant', tenant, '--value', 'erase.me@example.org'])).stdout).toBe('erased 0 vault entries\n');

  const events = (await listAuditEvents(app, tenant)).filter((event) => event.type === 'pii.erased');
  expect(events.map((event) => event.payload)).toEqual([{ entries: 1, types: ['email'] }, { entries: 0, types: [] }]);
  expect(JSON.stringify(events).toLowerCase()).not.toContain('erase.me');
});

test('erase refuses an unknown tenant or an empty value with exit code 2', async () => {
  expect(await runCli(['pii', 'erase', '--tenant', 'no-such-tenant', '--value', 'x@example.org'])).toMatchObject({ code: 2, stderr: expect.stringContaining('tenant no-such-tenant does not exist') });
  expect(await runCli(['pii', 'erase', '--tenant', tenant, '--value', '-'], { stdin: '\n' })).toMatchObject({ code: 2, stderr: expect.stringContaining('--value: the value to erase is empty') });
});

test('purge-expired deletes expired entries of the tenant and audits how many', async () => {
  const vault = createTenantPiiVault(config, app, keys.keyringFor(tenant), { cacheTtlMs: 0 });
  const token = await vault.tokenize('ssn', '078-05-1120');
  await vault.tokenize('ssn', '219-09-9999');
  await owner.query(`UPDATE pii_vault SET expires_at = now() - interval '1 minute' WHERE tenant_id = $1 AND token = $2`, [tenant, /tok_([^\]]+)/.exec(token)![1]]);
  expect(await runCli(['pii', 'purge-expired', '--tenant', tenant])).toMatchObject({ code: 0, stdout: `${tenant}\t1\n` });
  expect((await owner.query('SELECT count(*)::int AS n FROM pii_vault WHERE tenant_id = $1', [tenant])).rows[0].n).toBe(1);
  expect((await listAuditEvents(app, tenant)).find((event) => event.type === 'pii.purged')?.payload).toEqual({ entries: 1 });
});
