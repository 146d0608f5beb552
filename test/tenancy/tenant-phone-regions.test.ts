// A tenant's default phone regions (`steward tenant phone-regions`): an operator sets, shows and clears them, a bad
// region is refused with the region named and nothing changed, the PII codec uses them for every definition that
// names no regions of its own, and from the attacker's side a session bound to one tenant can neither read nor
// change another tenant's setting.
import type { Pool } from 'pg';
import { createTenantCodecPolicy } from '../../src/codec/pii-codec-policy';
import { createPool } from '../../src/db/pool';
import { withTenant } from '../../src/db/tenant-scope';
import { registerDefinition } from '../../src/definitions/registry';
import { parseDefinition } from '../../src/ir/parse';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { loadTenantPhoneRegions, setTenantPhoneRegions } from '../../src/tenancy/tenant-phone-regions';
import { runCli } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
let acme: TenantId;
let globex: TenantId;
let admin: Pool;
let app: Pool;

function definition(id: string, policy: string) {
  const parsed = parseDefinition(`id: ${id}\nversion: 1\n${policy}start: done\nnodes:\n  done: { type: end }\n`);
  if (!parsed.ok) throw new Error(`the definition should parse: ${JSON.stringify(parsed.issues)}`);
  return parsed.definition;
}

beforeAll(async () => {
  [acme, globex] = await Promise.all([createTestTenant('regionsacme'), createTestTenant('regionsglobex')]);
  admin = createPool(config.databaseUrl, { max: 2 });
  app = createPool(config.appDatabaseUrl, { max: 2 });
});

afterAll(async () => {
  await admin?.end();
  await app?.end();
});

test('an operator sets, shows and clears the regions; a bad region is refused by name and nothing changes', async () => {
  expect(await runCli(['tenant', 'phone-regions', acme])).toMatchObject({ code: 0, stdout: `tenant ${acme}: pii.phone_regions (none: the wide default)\n` });
  expect(await runCli(['tenant', 'phone-regions', acme, '--set', 'GB, IE'])).toMatchObject({ code: 0, stdout: `tenant ${acme}: pii.phone_regions GB, IE\n` });
  const refused = await runCli(['tenant', 'phone-regions', acme, '--set', 'FR,XX']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('pii.phone_regions[1]: "XX" is not a region with a numbering plan');
  expect(JSON.parse((await runCli(['tenant', 'phone-regions', acme, '--json'])).stdout)).toEqual({ id: acme, pii: { phone_regions: ['GB', 'IE'] } });
  expect(await runCli(['tenant', 'phone-regions', acme, '--clear'])).toMatchObject({ code: 0, stdout: `tenant ${acme}: pii.phone_regions (none: the wide default)\n` });
  expect((await runCli(['tenant', 'phone-regions', acme, '--set', 'GB', '--clear'])).code).toBe(2);
});

test("the codec uses the tenant's regions for definitions that name none, and a definition's own list as well", async () => {
  await setTenantPhoneRegions(admin, globex, ['FR']);
  // no definition yet: the tenant's regions alone
  expect((await createTenantCodecPolicy(app, globex)()).phoneRegions).toEqual(['FR']);
  await registerDefinition(app, globex, definition('regionsnone', ''), 'test');
  await registerDefinition(app, globex, definition('regionsgb', 'data_policy: { phone_regions: [GB] }\n'), 'test');
  expect((await createTenantCodecPolicy(app, globex)()).phoneRegions).toEqual(['FR', 'GB']);
  // cleared, the definition that names none brings back the wide default
  await setTenantPhoneRegions(admin, globex, undefined);
  expect((await createTenantCodecPolicy(app, globex)()).phoneRegions).toBeUndefined();
});

describe("from the attacker's side", () => {
  beforeAll(async () => {
    await setTenantPhoneRegions(admin, acme, ['DE']);
    await setTenantPhoneRegions(admin, globex, ['JP']);
  });

  test("a session bound to one tenant reads its own regions and never another tenant's", async () => {
    expect(await loadTenantPhoneRegions(app, acme)).toEqual(['DE']);
    const rows = await withTenant(app, acme, async (db) => (await db.query(`SELECT settings FROM tenants WHERE id = $1`, [globex])).rows);
    expect(rows).toEqual([]);
  });

  test("the application role cannot change any tenant's regions, its own or another's", async () => {
    for (const target of [acme, globex]) {
      await expect(
        withTenant(app, acme, (db) => db.query(`UPDATE tenants SET settings = jsonb_set(settings, '{pii}', '{"phone_regions": ["US"]}') WHERE id = $1`, [target])),
      ).rejects.toMatchObject({ code: '42501' });
    }
    expect(await loadTenantPhoneRegions(admin, globex)).toEqual(['JP']);
  });
});
