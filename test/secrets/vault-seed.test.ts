// The dev Vault as the local stack seeds it: engines enabled, one policy and AppRole role per tenant, idempotent.
import createVaultClient from 'node-vault';
import { z } from 'zod';
import { isVaultHealthy, seedVault } from '../../dev-server/vault';
import { findFreePort, startTestVault, VAULT_START_TIMEOUT_MS, type TestVault } from './vault-server';

let vault: TestVault;

beforeAll(async () => {
  vault = await startTestVault();
}, VAULT_START_TIMEOUT_MS);

afterAll(async () => {
  await vault?.stop();
});

const Mounts = z.record(z.string(), z.unknown());
const Metadata = z.object({ data: z.object({ current_version: z.number() }) });

async function loginAs(tenant: string) {
  const { roleId, secretId } = vault.seeded.tenants[tenant]!;
  const client = createVaultClient({ endpoint: vault.address, requestOptions: { timeout: 5_000 } });
  client.token = '';
  await client.approleLogin({ role_id: roleId, secret_id: secretId });
  return client;
}

describe('seeded dev Vault', () => {
  it('is healthy on its loopback address, and a closed port is not', async () => {
    expect(vault.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(isVaultHealthy(vault.address)).resolves.toBe(true);
    await expect(isVaultHealthy(`http://127.0.0.1:${await findFreePort()}`)).resolves.toBe(false);
  });

  it('has KV v2 at secret/, Transit and AppRole enabled', async () => {
    const mounts = Mounts.parse(await vault.root.mounts());
    expect(mounts['secret/']).toMatchObject({ type: 'kv', options: { version: '2' } });
    expect(mounts['transit/']).toMatchObject({ type: 'transit' });
    expect(Mounts.parse(await vault.root.auths())['approle/']).toMatchObject({ type: 'approle' });
  });

  it("lets each tenant's AppRole read its own secrets and nothing of another tenant's", async () => {
    const acme = await loginAs('acme');
    await expect(acme.read('secret/data/tenants/acme/llm')).resolves.toMatchObject({ data: { data: { openai: 'sk-steward-demo-acme-openai' } } });
    await expect(acme.read('secret/data/tenants/globex/llm')).rejects.toMatchObject({ response: { statusCode: 403 } });
    await expect(acme.write('secret/data/tenants/acme/llm', { data: { openai: 'overwritten' } })).rejects.toMatchObject({ response: { statusCode: 403 } });
    await expect(acme.read('sys/mounts')).rejects.toMatchObject({ response: { statusCode: 403 } });
  });

  it('seeding again changes nothing: no new secret versions, same role ids', async () => {
    const again = await seedVault({ address: vault.address, rootToken: vault.rootToken, tenants: ['demo', 'acme', 'globex'] });
    expect(again.tenants.acme!.roleId).toBe(vault.seeded.tenants.acme!.roleId);
    const metadata = Metadata.parse(await vault.root.read('secret/metadata/tenants/acme/llm'));
    expect(metadata.data.current_version).toBe(1);
  });
});
