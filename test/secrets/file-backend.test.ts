// The file backend: per-tenant JSON documents, and no way out of the tenant's folder by name or by symlink.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStewardError } from '../../src/errors';
import { parseSecretReference, type SecretReference } from '../../src/ir/secret-reference';
import { createFileBackend } from '../../src/secrets/file-backend';

let root: string;
let dir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'steward-file-secrets-'));
  dir = join(root, 'secrets');
  mkdirSync(join(dir, 'acme'), { recursive: true });
  mkdirSync(join(dir, 'globex'), { recursive: true });
  writeFileSync(join(dir, 'acme', 'llm.json'), JSON.stringify({ openai: 'file-acme-openai', retries: 3 }));
  writeFileSync(join(dir, 'globex', 'llm.json'), JSON.stringify({ openai: 'file-globex-openai' }));
  writeFileSync(join(dir, 'acme', 'broken.json'), '{ not json');
  writeFileSync(join(root, 'outside.json'), JSON.stringify({ x: 'outside the secrets folder' }));
  symlinkSync(join(root, 'outside.json'), join(dir, 'acme', 'escape.json'));
  symlinkSync(join(dir, 'acme', 'llm.json'), join(dir, 'acme', 'alias.json'));
  symlinkSync(root, join(dir, 'initech'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isStewardError(error) ? error.code : `not a StewardError: ${String(error)}`;
  }
}

describe('file backend', () => {
  it('reads a key from <dir>/<tenant>/<name>.json', async () => {
    const backend = createFileBackend({ dir });
    await expect(backend.resolve(parseSecretReference('file:llm#openai'), { tenant: 'acme' })).resolves.toEqual({ found: true, value: 'file-acme-openai' });
    await expect(backend.resolve(parseSecretReference('file:llm#retries'), { tenant: 'acme' })).resolves.toEqual({ found: true, value: '3' });
  });

  it("reads only the asking tenant's folder", async () => {
    const backend = createFileBackend({ dir });
    await expect(backend.resolve(parseSecretReference('file:llm#openai'), { tenant: 'globex' })).resolves.toEqual({ found: true, value: 'file-globex-openai' });
  });

  it('answers not found for a missing document, key or tenant folder', async () => {
    const backend = createFileBackend({ dir });
    await expect(backend.resolve(parseSecretReference('file:nothing#openai'), { tenant: 'acme' })).resolves.toEqual({ found: false });
    await expect(backend.resolve(parseSecretReference('file:llm#nothing'), { tenant: 'acme' })).resolves.toEqual({ found: false });
    await expect(backend.resolve(parseSecretReference('file:llm#openai'), { tenant: 'hooli' })).resolves.toEqual({ found: false });
    await expect(backend.resolve(parseSecretReference('env:STEWARD_SECRET_X'), { tenant: 'acme' })).resolves.toEqual({ found: false });
  });

  it('mirrors vault: references at their path under the tenant prefix, but never a pinned version', async () => {
    const backend = createFileBackend({ dir });
    await expect(backend.resolve(parseSecretReference('vault:secret/data/tenants/acme/llm#openai'), { tenant: 'acme' })).resolves.toEqual({
      found: true,
      value: 'file-acme-openai',
    });
    await expect(backend.resolve(parseSecretReference('vault:secret/data/tenants/acme/llm#openai@2'), { tenant: 'acme' })).resolves.toEqual({ found: false });
  });

  it('file:../../etc/passwd is rejected by the reference parser', () => {
    expect(() => parseSecretReference('file:../../etc/passwd#x')).toThrow(expect.objectContaining({ code: 'DEFINITION_INVALID' }));
    expect(() => parseSecretReference('file:..#x')).toThrow(expect.objectContaining({ code: 'DEFINITION_INVALID' }));
  });

  it('a traversal built in code, past the parser, is denied by the backend', async () => {
    const backend = createFileBackend({ dir });
    const crafted = { backend: 'file', name: '../../etc/passwd', key: 'x' } as SecretReference;
    const dotdot = { backend: 'file', name: '..', key: 'x' } as SecretReference;
    await expect(codeOf(backend.resolve(crafted, { tenant: 'acme' }))).resolves.toBe('SECRET_DENIED');
    await expect(codeOf(backend.resolve(dotdot, { tenant: 'acme' }))).resolves.toBe('SECRET_DENIED');
  });

  it('a symlink out of the tenant folder is denied; one inside it is followed', async () => {
    const backend = createFileBackend({ dir });
    await expect(codeOf(backend.resolve(parseSecretReference('file:escape#x'), { tenant: 'acme' }))).resolves.toBe('SECRET_DENIED');
    await expect(codeOf(backend.resolve(parseSecretReference('file:outside#x'), { tenant: 'initech' }))).resolves.toBe('SECRET_DENIED');
    await expect(backend.resolve(parseSecretReference('file:alias#openai'), { tenant: 'acme' })).resolves.toEqual({ found: true, value: 'file-acme-openai' });
  });

  it('a malformed document is a backend error, not "not found", and the message quotes none of it', async () => {
    const backend = createFileBackend({ dir });
    const error = await backend.resolve(parseSecretReference('file:broken#x'), { tenant: 'acme' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SECRET_BACKEND_UNAVAILABLE' });
    expect((error as Error).message).not.toContain('not json');
  });

  it('refuses an invalid tenant id before touching the file system', async () => {
    const backend = createFileBackend({ dir });
    await expect(codeOf(backend.resolve(parseSecretReference('file:llm#openai'), { tenant: '../acme' }))).resolves.toBe('TENANT_INVALID');
  });
});
