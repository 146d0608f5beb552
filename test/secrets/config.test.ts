// Secret chain configuration from the environment: defaults, explicit chains, and refusals that name no value.
import { loadSecretsConfig } from '../../src/secrets/config';

describe('secrets configuration', () => {
  it('defaults to the backends that are configured, vault first, failing closed', () => {
    expect(loadSecretsConfig({})).toMatchObject({ backends: ['env'], failOpen: false, cacheTtlMs: 60_000, env: { prefix: 'STEWARD_SECRET_{tenant}_', sharedAcrossTenants: false } });
    const config = loadSecretsConfig({ VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 't0ken', STEWARD_SECRETS_DIR: '/srv/secrets' });
    expect(config.backends).toEqual(['vault', 'file', 'env']);
    expect(config.vault).toEqual({ address: 'http://127.0.0.1:8200', auth: { method: 'token', token: 't0ken' }, timeoutMs: 5_000 });
    expect(config.file).toEqual({ dir: '/srv/secrets' });
    expect(config.vaultPrefixTemplate).toBe('secret/data/tenants/{tenant}');
  });

  it('honours an explicit chain, AppRole credentials and the fallback switch', () => {
    const config = loadSecretsConfig({
      STEWARD_SECRET_BACKENDS: 'file, vault',
      STEWARD_SECRETS_DIR: '/srv/secrets',
      VAULT_ADDR: 'https://vault.internal:8200',
      VAULT_ROLE_ID: 'role',
      VAULT_SECRET_ID: 'secret-id',
      STEWARD_SECRET_FAIL_OPEN: 'true',
      STEWARD_SECRET_CACHE_TTL_MS: '0',
    });
    expect(config.backends).toEqual(['file', 'vault']);
    expect(config.vault?.auth).toEqual({ method: 'approle', roleId: 'role', secretId: 'secret-id', mount: 'approle' });
    expect(config.failOpen).toBe(true);
    expect(config.cacheTtlMs).toBe(0);
  });

  it.each([
    [{ STEWARD_SECRET_BACKENDS: 'vault' }, /VAULT_ADDR/],
    [{ STEWARD_SECRET_BACKENDS: 'vault', VAULT_ADDR: 'http://127.0.0.1:8200' }, /VAULT_TOKEN/],
    [{ STEWARD_SECRET_BACKENDS: 'file' }, /STEWARD_SECRETS_DIR/],
    [{ STEWARD_SECRET_BACKENDS: 'vault,ldap' }, /STEWARD_SECRET_BACKENDS/],
    [{ STEWARD_SECRET_BACKENDS: 'env,env' }, /at most once/],
    [{ VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_ROLE_ID: 'role' }, /set both/],
    [{ STEWARD_VAULT_TENANT_PREFIX: 'secret/data/shared' }, /\{tenant\}/],
    [{ STEWARD_SECRET_FAIL_OPEN: 'maybe' }, /STEWARD_SECRET_FAIL_OPEN/],
    [{ STEWARD_SECRET_ENV_PREFIX: 'STEWARD_SECRET_' }, /STEWARD_SECRET_ENV_PREFIX: must contain \{tenant\}.*STEWARD_SECRET_ENV_SHARED_ACROSS_TENANTS=true/],
    [{ STEWARD_SECRET_ENV_PREFIX: 'APP_{tenant}_SECRET_' }, /STEWARD_SECRET_ENV_PREFIX: must end with \{tenant\}_/],
    [{ STEWARD_SECRET_ENV_PREFIX: '{tenant}_X_{tenant}_' }, /STEWARD_SECRET_ENV_PREFIX: must end with \{tenant\}_ and hold \{tenant\} once/],
  ])('refuses %j with CONFIG_INVALID', (env, message) => {
    expect(() => loadSecretsConfig(env)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) }));
  });

  it('takes a prefix shared by every tenant only when told so explicitly', () => {
    expect(loadSecretsConfig({ STEWARD_SECRET_ENV_PREFIX: 'STEWARD_SECRET_', STEWARD_SECRET_ENV_SHARED_ACROSS_TENANTS: 'true' }).env).toEqual({
      prefix: 'STEWARD_SECRET_',
      sharedAcrossTenants: true,
    });
  });

  it('never echoes a credential in its complaint', () => {
    const secretId = 'very-secret-approle-id';
    expect(() => loadSecretsConfig({ VAULT_ADDR: 'not a url', VAULT_SECRET_ID: secretId })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secretId) }),
    );
  });
});
