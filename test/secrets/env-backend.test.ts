// The env backend: only variables under the tenant's own prefix are reachable, unless a shared prefix is chosen
// explicitly; no variable name falls under two tenants' prefixes.
import { parseSecretReference } from '../../src/ir/secret-reference';
import { createEnvBackend } from '../../src/secrets/env-backend';

const env = {
  STEWARD_SECRET_OPENAI: 'env-openai',
  STEWARD_SECRET_ACME_OPENAI: 'env-acme-openai',
  STEWARD_SECRET_ACME__EU_OPENAI: 'env-acme-eu-openai',
  STEWARD_SECRET_GLOBEX_OPENAI: 'env-globex-openai',
  STEWARD_SECRET_ACME_EMPTY: '',
  DATABASE_URL: 'postgres://worker:password@db/steward',
};
const resolve = (backend: ReturnType<typeof createEnvBackend>, reference: string, tenant: string) => backend.resolve(parseSecretReference(reference), { tenant });

describe('env backend, by default', () => {
  const backend = createEnvBackend({ env });

  it("reads the tenant's own variable, STEWARD_SECRET_<TENANT>_…", async () => {
    await expect(resolve(backend, 'env:STEWARD_SECRET_ACME_OPENAI', 'acme')).resolves.toEqual({ found: true, value: 'env-acme-openai' });
    await expect(resolve(backend, 'env:STEWARD_SECRET_ACME__EU_OPENAI', 'acme-eu')).resolves.toEqual({ found: true, value: 'env-acme-eu-openai' });
  });

  it("denies another tenant's variable, a variable no tenant owns, and the worker's own credentials", async () => {
    await expect(resolve(backend, 'env:STEWARD_SECRET_GLOBEX_OPENAI', 'acme')).rejects.toMatchObject({ code: 'SECRET_DENIED' });
    await expect(resolve(backend, 'env:STEWARD_SECRET_OPENAI', 'acme')).rejects.toMatchObject({ code: 'SECRET_DENIED' });
    await expect(resolve(backend, 'env:DATABASE_URL', 'acme')).rejects.toMatchObject({ code: 'SECRET_DENIED' });
    await expect(resolve(backend, 'env:STEWARD_SECRET_ACME_', 'acme')).rejects.toMatchObject({ code: 'SECRET_DENIED' });
  });

  it("denies tenant acme the variables of tenant acme-eu, whose prefix starts with acme's", async () => {
    await expect(resolve(backend, 'env:STEWARD_SECRET_ACME__EU_OPENAI', 'acme')).rejects.toMatchObject({ code: 'SECRET_DENIED' });
    await expect(resolve(backend, 'env:STEWARD_SECRET_ACME_OPENAI', 'acme-eu')).rejects.toMatchObject({ code: 'SECRET_DENIED' });
  });

  it('answers not found for an unset or empty variable, and for other kinds of reference', async () => {
    await expect(resolve(backend, 'env:STEWARD_SECRET_ACME_MISSING', 'acme')).resolves.toEqual({ found: false });
    await expect(resolve(backend, 'env:STEWARD_SECRET_ACME_EMPTY', 'acme')).resolves.toEqual({ found: false });
    await expect(resolve(backend, 'file:llm#openai', 'acme')).resolves.toEqual({ found: false });
  });
});

describe('env backend, configured', () => {
  it('with a shared prefix allowed explicitly, every tenant reads every variable under it', async () => {
    const backend = createEnvBackend({ env, prefix: 'STEWARD_SECRET_', sharedAcrossTenants: true });
    await expect(resolve(backend, 'env:STEWARD_SECRET_OPENAI', 'acme')).resolves.toEqual({ found: true, value: 'env-openai' });
    await expect(resolve(backend, 'env:STEWARD_SECRET_GLOBEX_OPENAI', 'acme')).resolves.toEqual({ found: true, value: 'env-globex-openai' });
  });

  it('refuses at construction an empty prefix, a shared one not allowed, and one whose tenant does not end it', () => {
    expect(() => createEnvBackend({ env, prefix: '' })).toThrow(TypeError);
    expect(() => createEnvBackend({ env, prefix: 'STEWARD_SECRET_' })).toThrow(/must contain \{tenant\}/);
    expect(() => createEnvBackend({ env, prefix: '{tenant}_STEWARD_' })).toThrow(/must end with \{tenant\}_/);
  });
});
