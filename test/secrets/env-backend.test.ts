// The env backend: only variables with the configured prefix are reachable, optionally per tenant.
import { parseSecretReference } from '../../src/ir/secret-reference';
import { createEnvBackend } from '../../src/secrets/env-backend';

const env = {
  STEWARD_SECRET_OPENAI: 'env-openai',
  STEWARD_SECRET_ACME_OPENAI: 'env-acme-openai',
  STEWARD_SECRET_GLOBEX_OPENAI: 'env-globex-openai',
  STEWARD_SECRET_EMPTY: '',
  DATABASE_URL: 'postgres://worker:password@db/steward',
};

describe('env backend', () => {
  it('reads a variable that carries the prefix', async () => {
    const backend = createEnvBackend({ env });
    await expect(backend.resolve(parseSecretReference('env:STEWARD_SECRET_OPENAI'), { tenant: 'acme' })).resolves.toEqual({ found: true, value: 'env-openai' });
  });

  it("denies a variable without the prefix, so the worker's own credentials stay out of reach", async () => {
    const backend = createEnvBackend({ env });
    await expect(backend.resolve(parseSecretReference('env:DATABASE_URL'), { tenant: 'acme' })).rejects.toMatchObject({ code: 'SECRET_DENIED' });
    await expect(backend.resolve(parseSecretReference('env:STEWARD_SECRET_'), { tenant: 'acme' })).rejects.toMatchObject({ code: 'SECRET_DENIED' });
  });

  it('answers not found for an unset or empty variable, and for other kinds of reference', async () => {
    const backend = createEnvBackend({ env });
    await expect(backend.resolve(parseSecretReference('env:STEWARD_SECRET_MISSING'), { tenant: 'acme' })).resolves.toEqual({ found: false });
    await expect(backend.resolve(parseSecretReference('env:STEWARD_SECRET_EMPTY'), { tenant: 'acme' })).resolves.toEqual({ found: false });
    await expect(backend.resolve(parseSecretReference('file:llm#openai'), { tenant: 'acme' })).resolves.toEqual({ found: false });
  });

  it('with {tenant} in the prefix, a tenant reads only its own variables', async () => {
    const backend = createEnvBackend({ env, prefix: 'STEWARD_SECRET_{tenant}_' });
    await expect(backend.resolve(parseSecretReference('env:STEWARD_SECRET_ACME_OPENAI'), { tenant: 'acme' })).resolves.toEqual({ found: true, value: 'env-acme-openai' });
    await expect(backend.resolve(parseSecretReference('env:STEWARD_SECRET_GLOBEX_OPENAI'), { tenant: 'acme' })).rejects.toMatchObject({ code: 'SECRET_DENIED' });
  });

  it('refuses an empty prefix at construction', () => {
    expect(() => createEnvBackend({ env, prefix: '' })).toThrow(TypeError);
  });
});
