// The Vault backend against a real Vault dev server: KV v2 reads, token and AppRole auth, renewal, revocation, outages.
import { createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { isStewardError } from '../../src/errors';
import { parseSecretReference } from '../../src/ir/secret-reference';
import { createVaultBackend } from '../../src/secrets/vault-backend';
import type { VaultAuthEvent } from '../../src/secrets/vault-session';
import type { SecretBackend } from '../../src/secrets/types';
import { findFreePort, startTestVault, VAULT_START_TIMEOUT_MS, type TestVault } from './vault-server';

let vault: TestVault;
const opened: SecretBackend[] = [];

beforeAll(async () => {
  vault = await startTestVault();
}, VAULT_START_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(opened.map((backend) => backend.close?.()));
  await vault?.stop();
});

function track(backend: SecretBackend): SecretBackend {
  opened.push(backend);
  return backend;
}

const TokenAnswer = z.object({ auth: z.object({ client_token: z.string() }) });

async function createTenantToken(tenant: string, extra: Record<string, unknown> = {}): Promise<string> {
  // A plain write: node-vault's tokenCreate would make the new token the root client's own.
  const answer = await vault.root.write('auth/token/create', { policies: [`steward-tenant-${tenant}`], ttl: '1h', ...extra });
  return TokenAnswer.parse(answer).auth.client_token;
}

async function expectCode(promise: Promise<unknown>, code: string, message?: RegExp): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isStewardError(error)) throw new Error(`expected a StewardError ${code}, got ${String(error)}`);
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}

const ref = parseSecretReference;

describe('KV v2 reads', () => {
  it('reads the latest version of a seeded secret with a tenant token', async () => {
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'token', token: await createTenantToken('acme') } }));
    await expect(backend.resolve(ref('vault:secret/data/tenants/acme/llm#openai'), { tenant: 'acme' })).resolves.toEqual({
      found: true,
      value: 'sk-steward-demo-acme-openai',
    });
  });

  it('reads a pinned version, and the latest when no version is given', async () => {
    await vault.root.write('secret/data/tenants/acme/rotating', { data: { key: 'first' } });
    await vault.root.write('secret/data/tenants/acme/rotating', { data: { key: 'second' } });
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'token', token: await createTenantToken('acme') } }));
    const context = { tenant: 'acme' };
    await expect(backend.resolve(ref('vault:secret/data/tenants/acme/rotating#key@1'), context)).resolves.toEqual({ found: true, value: 'first' });
    await expect(backend.resolve(ref('vault:secret/data/tenants/acme/rotating#key@2'), context)).resolves.toEqual({ found: true, value: 'second' });
    await expect(backend.resolve(ref('vault:secret/data/tenants/acme/rotating#key'), context)).resolves.toEqual({ found: true, value: 'second' });
    await expect(backend.resolve(ref('vault:secret/data/tenants/acme/rotating#key@9'), context)).resolves.toEqual({ found: false });
  });

  it('answers not found for a missing path or key, and for a deleted version', async () => {
    await vault.root.write('secret/data/tenants/acme/short-lived', { data: { key: 'gone soon' } });
    await vault.root.delete('secret/data/tenants/acme/short-lived');
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'token', token: await createTenantToken('acme') } }));
    const context = { tenant: 'acme' };
    await expect(backend.resolve(ref('vault:secret/data/tenants/acme/nothing-here#key'), context)).resolves.toEqual({ found: false });
    await expect(backend.resolve(ref('vault:secret/data/tenants/acme/llm#no-such-key'), context)).resolves.toEqual({ found: false });
    await expect(backend.resolve(ref('vault:secret/data/tenants/acme/short-lived#key'), context)).resolves.toEqual({ found: false });
  });

  it('resolves file:<name>#<key> references at the tenant prefix too', async () => {
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'token', token: await createTenantToken('globex') } }));
    await expect(backend.resolve(ref('file:agents#expense'), { tenant: 'globex' })).resolves.toEqual({
      found: true,
      value: 'steward-demo-globex-expense-client-secret',
    });
  });

  it('when the Vault policy refuses a path inside the tenant scope, the read is denied (the policy is a second wall)', async () => {
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'token', token: await createTenantToken('acme') } }));
    await expectCode(backend.resolve(ref('vault:secret/data/tenants/globex/llm#openai'), { tenant: 'globex' }), 'SECRET_DENIED', /policy denies/);
  });
});

describe('AppRole', () => {
  async function createRole(name: string, ttl: string, maxTtl: string): Promise<{ roleId: string; secretId: string }> {
    await vault.root.write(`auth/approle/role/${name}`, { token_policies: ['steward-tenant-acme'], token_ttl: ttl, token_max_ttl: maxTtl });
    const roleId = z.object({ data: z.object({ role_id: z.string() }) }).parse(await vault.root.read(`auth/approle/role/${name}/role-id`)).data.role_id;
    const secretId = z.object({ data: z.object({ secret_id: z.string() }) }).parse(await vault.root.write(`auth/approle/role/${name}/secret-id`, {})).data.secret_id;
    return { roleId, secretId };
  }

  it('logs in with the seeded role and reads the tenant secret', async () => {
    const { roleId, secretId } = vault.seeded.tenants.acme!;
    const events: VaultAuthEvent[] = [];
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'approle', roleId, secretId }, onAuthEvent: (event) => events.push(event) }));
    await expect(backend.resolve(ref('vault:secret/data/tenants/acme/agents#expense'), { tenant: 'acme' })).resolves.toEqual({
      found: true,
      value: 'steward-demo-acme-expense-client-secret',
    });
    expect(events).toEqual([{ type: 'login' }]);
  });

  it('renews the token before it expires, and keeps reading after the original TTL has passed', async () => {
    const credentials = await createRole('short-ttl', '3s', '1m');
    const events: VaultAuthEvent[] = [];
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'approle', ...credentials }, onAuthEvent: (event) => events.push(event) }));
    const reference = ref('vault:secret/data/tenants/acme/llm#openai');
    await backend.resolve(reference, { tenant: 'acme' });
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    await expect(backend.resolve(reference, { tenant: 'acme' })).resolves.toEqual({ found: true, value: 'sk-steward-demo-acme-openai' });
    expect(events[0]).toEqual({ type: 'login' });
    expect(events.filter((event) => event.type === 'renewed').length).toBeGreaterThanOrEqual(1);
    expect(events.filter((event) => event.type === 'login')).toHaveLength(1);
  });

  it('logs in again once the token nears its max TTL, where renewal can no longer extend it', async () => {
    const credentials = await createRole('short-max', '2s', '3s');
    const events: VaultAuthEvent[] = [];
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'approle', ...credentials }, onAuthEvent: (event) => events.push(event) }));
    const reference = ref('vault:secret/data/tenants/acme/llm#openai');
    await backend.resolve(reference, { tenant: 'acme' });
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await expect(backend.resolve(reference, { tenant: 'acme' })).resolves.toEqual({ found: true, value: 'sk-steward-demo-acme-openai' });
    expect(events.filter((event) => event.type === 'login').length).toBeGreaterThanOrEqual(2);
  });

  it('a wrong secret id fails with a clear auth error', async () => {
    const { roleId } = vault.seeded.tenants.acme!;
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'approle', roleId, secretId: 'not-the-secret-id' } }));
    const error = await expectCode(backend.resolve(ref('vault:secret/data/tenants/acme/llm#openai'), { tenant: 'acme' }), 'SECRET_AUTH_FAILED', /approle login/);
    expect(error.message).not.toContain('not-the-secret-id');
  });
});

describe('revocation and outages', () => {
  it('a revoked token fails with a clear error that names no credential', async () => {
    const token = await createTenantToken('acme');
    const backend = track(createVaultBackend({ address: vault.address, auth: { method: 'token', token } }));
    const reference = ref('vault:secret/data/tenants/acme/llm#openai');
    await expect(backend.resolve(reference, { tenant: 'acme' })).resolves.toMatchObject({ found: true });
    await vault.root.tokenRevoke({ token });
    const error = await expectCode(backend.resolve(reference, { tenant: 'acme' }), 'SECRET_AUTH_FAILED', /revoked or expired/);
    expect(error.message).not.toContain(token);
    expect(JSON.stringify(error)).not.toContain(token);
    expect(error.cause).toBeUndefined();
  });

  it('when Vault is down, the read fails as unavailable rather than not found', async () => {
    const address = `http://127.0.0.1:${await findFreePort()}`;
    const backend = track(createVaultBackend({ address, auth: { method: 'token', token: 'unused' } }));
    await expectCode(backend.resolve(ref('vault:secret/data/tenants/acme/llm#openai'), { tenant: 'acme' }), 'SECRET_BACKEND_UNAVAILABLE', /unreachable/);
  });

  it('a Vault that accepts connections but never answers times out', async () => {
    // It holds what it accepts, and drops it at the end: a held socket would keep jest's worker from exiting.
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const backend = track(createVaultBackend({ address: `http://127.0.0.1:${port}`, auth: { method: 'token', token: 'unused' }, timeoutMs: 300 }));
      const started = Date.now();
      await expectCode(backend.resolve(ref('vault:secret/data/tenants/acme/llm#openai'), { tenant: 'acme' }), 'SECRET_BACKEND_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
