// The priority chain against a real Vault: order, fail-closed and fallback, tenant scoping with events, caching.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStewardError } from '../../src/errors';
import { createEnvBackend } from '../../src/secrets/env-backend';
import { createFileBackend } from '../../src/secrets/file-backend';
import { createSecretResolver, type SecretResolverOptions } from '../../src/secrets/resolver';
import { createScrubber } from '../../src/secrets/scrubber';
import type { SecretBackend, SecurityEvent } from '../../src/secrets/types';
import { createVaultBackend } from '../../src/secrets/vault-backend';
import { findFreePort, startTestVault, VAULT_START_TIMEOUT_MS, type TestVault } from './vault-server';

let vault: TestVault;
let dir: string;
let downAddress: string;
const backends: SecretBackend[] = [];

beforeAll(async () => {
  vault = await startTestVault();
  downAddress = `http://127.0.0.1:${await findFreePort()}`;
  dir = mkdtempSync(join(tmpdir(), 'steward-chain-secrets-'));
  mkdirSync(join(dir, 'acme'));
  writeFileSync(join(dir, 'acme', 'llm.json'), JSON.stringify({ openai: 'file-acme-openai' }));
  writeFileSync(join(dir, 'acme', 'local.json'), JSON.stringify({ only: 'file-only-value' }));
}, VAULT_START_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(backends.map((backend) => backend.close?.()));
  await vault?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function vaultBackend(address = vault.address): SecretBackend {
  const backend = createVaultBackend({ address, auth: { method: 'token', token: vault.rootToken }, timeoutMs: 1_000 });
  backends.push(backend);
  return backend;
}

/** Wraps a backend to count how often the chain asks it. */
function counting(backend: SecretBackend): SecretBackend & { calls: number } {
  const counted = {
    name: backend.name,
    calls: 0,
    resolve: (...args: Parameters<SecretBackend['resolve']>) => {
      counted.calls++;
      return backend.resolve(...args);
    },
  };
  return counted;
}

function createChain(options: Partial<SecretResolverOptions> & { backends: SecretBackend[] }) {
  const events: SecurityEvent[] = [];
  const resolver = createSecretResolver({ cacheTtlMs: 0, onSecurityEvent: (event) => events.push(event), ...options });
  return { resolver, events };
}

async function failureOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  if (!isStewardError(error)) throw new Error(`expected a StewardError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

const ACME = { tenant: 'acme' };
const OPENAI = 'vault:secret/data/tenants/acme/llm#openai';

describe('chain order', () => {
  it('the first backend that has the secret wins: vault before file', async () => {
    const { resolver } = createChain({ backends: [vaultBackend(), createFileBackend({ dir })] });
    await expect(resolver.resolveSecret('openai', OPENAI, ACME)).resolves.toEqual({ value: 'sk-steward-demo-acme-openai', backend: 'vault' });
  });

  it('the first backend that has the secret wins: file before vault', async () => {
    const { resolver } = createChain({ backends: [createFileBackend({ dir }), vaultBackend()] });
    await expect(resolver.resolveSecret('openai', OPENAI, ACME)).resolves.toEqual({ value: 'file-acme-openai', backend: 'file' });
  });

  it('"not found" moves on to the next backend', async () => {
    const { resolver } = createChain({ backends: [vaultBackend(), createFileBackend({ dir }), createEnvBackend({ env: { STEWARD_SECRET_ACME_X: 'env-x' } })] });
    await expect(resolver.resolveSecret('only', 'file:local#only', ACME)).resolves.toEqual({ value: 'file-only-value', backend: 'file' });
    await expect(resolver.resolveSecret('x', 'env:STEWARD_SECRET_ACME_X', ACME)).resolves.toEqual({ value: 'env-x', backend: 'env' });
  });

  it('when no backend has it, the secret is not found, named but not valued', async () => {
    const { resolver } = createChain({ backends: [vaultBackend(), createFileBackend({ dir })] });
    const failure = await failureOf(resolver.resolveSecret('ghost', 'vault:secret/data/tenants/acme/ghost#key', ACME));
    expect(failure.code).toBe('SECRET_NOT_FOUND');
    expect(failure.message).toMatch(/secret ghost was not found for tenant acme \(backends: vault, file\)/);
  });
});

describe('backend failures', () => {
  it('when Vault is down, the chain fails closed even though a later backend has the secret', async () => {
    const file = counting(createFileBackend({ dir }));
    const { resolver, events } = createChain({ backends: [vaultBackend(downAddress), file] });
    const failure = await failureOf(resolver.resolveSecret('openai', OPENAI, ACME));
    expect(failure.code).toBe('SECRET_BACKEND_UNAVAILABLE');
    expect(file.calls).toBe(0);
    expect(events).toEqual([]);
  });

  it('with failOpen configured, the chain moves on past a down Vault and reports the fallback', async () => {
    const { resolver, events } = createChain({ backends: [vaultBackend(downAddress), createFileBackend({ dir })], failOpen: true });
    await expect(resolver.resolveSecret('openai', OPENAI, ACME)).resolves.toEqual({ value: 'file-acme-openai', backend: 'file' });
    expect(events).toEqual([
      { type: 'secret_fallback', tenant: 'acme', reference_name: 'openai', backend: 'vault', reason: expect.stringMatching(/unreachable/) },
    ]);
  });

  it('with failOpen, a secret only the failed backend could hold is an error, not "not found"', async () => {
    const { resolver } = createChain({ backends: [vaultBackend(downAddress), createFileBackend({ dir })], failOpen: true });
    const failure = await failureOf(resolver.resolveSecret('ghost', 'vault:secret/data/tenants/acme/ghost#key', ACME));
    expect(failure.code).toBe('SECRET_BACKEND_UNAVAILABLE');
  });
});

describe('tenant scoping', () => {
  it("when tenant acme references globex's Vault path, it is denied before any backend is asked, and the event is emitted", async () => {
    const vaultCounted = counting(vaultBackend());
    const { resolver, events } = createChain({ backends: [vaultCounted] });
    const failure = await failureOf(resolver.resolveSecret('stolen', 'vault:secret/data/tenants/globex/llm#openai', ACME));
    expect(failure.code).toBe('SECRET_DENIED');
    expect(vaultCounted.calls).toBe(0);
    expect(events).toEqual([
      { type: 'secret_denied', tenant: 'acme', reference_name: 'stolen', reason: expect.stringContaining('outside tenant acme') },
    ]);
    expect(JSON.stringify(events)).not.toContain('sk-steward-demo-globex');
  });

  it("one tenant-relative reference (vault:~/…) resolves each tenant's own value, and cannot climb out of it", async () => {
    const { resolver } = createChain({ backends: [vaultBackend()] });
    await expect(resolver.resolveSecret('openai', 'vault:~/llm#openai', ACME)).resolves.toEqual({ value: 'sk-steward-demo-acme-openai', backend: 'vault' });
    await expect(resolver.resolveSecret('openai', 'vault:~/llm#openai', { tenant: 'globex' })).resolves.toEqual({
      value: 'sk-steward-demo-globex-openai',
      backend: 'vault',
    });
    await expect(resolver.resolveSecret('up', 'vault:~/../globex/llm#openai', ACME)).rejects.toThrow(/'\.\.'/);
  });

  it('a path outside every tenant prefix is denied too, even with a root token', async () => {
    await vault.root.write('secret/data/platform/db', { data: { password: 'platform-db-password' } });
    const { resolver, events } = createChain({ backends: [vaultBackend()] });
    const failure = await failureOf(resolver.resolveSecret('db', 'vault:secret/data/platform/db#password', ACME));
    expect(failure.code).toBe('SECRET_DENIED');
    expect(failure.message).not.toContain('platform-db-password');
    expect(events).toHaveLength(1);
  });

  it('a denial from a later backend stops the chain even with failOpen', async () => {
    const { resolver, events } = createChain({ backends: [vaultBackend(), createEnvBackend({ env: { DATABASE_URL: 'postgres://x' } })], failOpen: true });
    expect((await failureOf(resolver.resolveSecret('db', 'env:DATABASE_URL', ACME))).code).toBe('SECRET_DENIED');
    expect(events).toEqual([{ type: 'secret_denied', tenant: 'acme', reference_name: 'db', reason: expect.stringContaining('prefix') }]);
  });
});

describe('cache and scrubbing', () => {
  it('caches per tenant and reference for the TTL, then asks the backend again', async () => {
    const counted = counting(vaultBackend());
    const { resolver } = createChain({ backends: [counted], cacheTtlMs: 400 });
    await resolver.resolveSecret('openai', OPENAI, ACME);
    await resolver.resolveSecret('openai', OPENAI, ACME);
    expect(counted.calls).toBe(1);
    await resolver.resolveSecret('openai', 'vault:secret/data/tenants/globex/llm#openai', { tenant: 'globex' });
    expect(counted.calls).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await resolver.resolveSecret('openai', OPENAI, ACME);
    expect(counted.calls).toBe(3);
  });

  it('a cached value is never served to another tenant', async () => {
    const { resolver } = createChain({ backends: [vaultBackend()], cacheTtlMs: 60_000 });
    await resolver.resolveSecret('openai', OPENAI, ACME);
    expect((await failureOf(resolver.resolveSecret('openai', OPENAI, { tenant: 'globex' }))).code).toBe('SECRET_DENIED');
  });

  it('every resolved value is handed to the scrubber, and resolveSecrets renders a definition\'s map', async () => {
    const scrubber = createScrubber();
    const { resolver } = createChain({ backends: [vaultBackend()], scrubber });
    const values = await resolver.resolveSecrets(
      { openai: OPENAI, expense: 'vault:secret/data/tenants/acme/agents#expense', unused: 'env:STEWARD_SECRET_ACME_UNUSED' },
      ACME,
      ['openai', 'expense'],
    );
    expect(values).toEqual({ openai: 'sk-steward-demo-acme-openai', expense: 'steward-demo-acme-expense-client-secret' });
    expect(scrubber.scrubText(`key=${values.openai} client=${values.expense}`)).toBe('key=[secret:openai] client=[secret:expense]');
  });
});
