// `steward secrets check`: names and outcomes against a real Vault, exit codes 0/1/2, and never a value on output.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerSecretsCommands } from '../../src/cli/commands/secrets';
import { exitCodeFor } from '../../src/cli/errors';
import { startTestVault, VAULT_START_TIMEOUT_MS, type TestVault } from './vault-server';

const FIXTURES = join(__dirname, 'fixtures');
const VALUES = ['sk-steward-demo-acme-openai', 'steward-demo-acme-expense-client-secret', 'file-local-key', 'env-check-token', 'sk-steward-demo-globex-openai'];

let vault: TestVault;
let dir: string;

beforeAll(async () => {
  vault = await startTestVault();
  dir = mkdtempSync(join(tmpdir(), 'steward-cli-secrets-'));
  mkdirSync(join(dir, 'acme'));
  writeFileSync(join(dir, 'acme', 'local.json'), JSON.stringify({ key: 'file-local-key' }));
}, VAULT_START_TIMEOUT_MS);

afterAll(async () => {
  await vault?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function chainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    STEWARD_SECRET_BACKENDS: 'vault,file,env',
    VAULT_ADDR: vault.address,
    VAULT_ROLE_ID: vault.seeded.tenants.acme!.roleId,
    VAULT_SECRET_ID: vault.seeded.tenants.acme!.secretId,
    STEWARD_SECRETS_DIR: dir,
    STEWARD_SECRET_ACME_CHECK_TOKEN: 'env-check-token',
    ...extra,
  };
}

/** Runs the command in-process the way `main` does, returning its exit code and output. */
async function check(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('steward').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerSecretsCommands(program, { env });
  let stdout = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  let code: number;
  let stderr = '';
  try {
    await program.parseAsync(['node', 'steward', 'secrets', 'check', ...args]);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    code = error instanceof CommanderError ? 2 : exitCodeFor(error);
    stderr = (error as Error).message;
  } finally {
    write.mockRestore();
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}

function expectNoValues(text: string): void {
  for (const value of VALUES) expect(text).not.toContain(value);
}

describe('steward secrets check', () => {
  it('exits 0 and names each secret with the backend that resolves it, when all resolve', async () => {
    const result = await check([join(FIXTURES, 'expense-secrets.yaml'), '--tenant', 'acme'], chainEnv());
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'openai\tresolves (vault)',
      'expense_client\tresolves (vault)',
      'local_key\tresolves (file)',
      'from_env\tresolves (env)',
    ]);
    expectNoValues(result.stdout);
  });

  it('exits 1 and reports denied and not found per name, in JSON with --json', async () => {
    const result = await check([join(FIXTURES, 'cross-tenant-secrets.yaml'), '--tenant', 'acme', '--json'], chainEnv());
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { tenant: string; secrets: Array<{ name: string; status: string; code?: string }> };
    expect(report.tenant).toBe('acme');
    expect(report.secrets.map(({ name, status, code }) => ({ name, status, code }))).toEqual([
      { name: 'openai', status: 'resolves', code: undefined },
      { name: 'stolen', status: 'denied', code: 'SECRET_DENIED' },
      { name: 'missing', status: 'not_found', code: 'SECRET_NOT_FOUND' },
    ]);
    expectNoValues(result.stdout);
  });

  it('exits 1 with an error per secret when Vault is down, failing closed', async () => {
    const result = await check([join(FIXTURES, 'expense-secrets.yaml'), '--tenant', 'acme'], chainEnv({ VAULT_ADDR: 'http://127.0.0.1:9' }));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^openai\terror: .*unreachable/m);
    expect(result.stdout).toMatch(/^local_key\terror: /m);
  });

  it('exits 2 for a bad tenant, an unreadable or invalid file, or bad configuration', async () => {
    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(invalid, 'id: x\nversion: 1\nsecrets: { leaked: "sk-raw-key-in-definition" }\nstart: a\nnodes: { a: { type: end } }\n');
    const fixture = join(FIXTURES, 'expense-secrets.yaml');
    expect((await check([fixture, '--tenant', 'Not A Tenant'], chainEnv())).code).toBe(2);
    expect((await check([join(dir, 'missing.yaml'), '--tenant', 'acme'], chainEnv())).code).toBe(2);
    const bad = await check([invalid, '--tenant', 'acme'], chainEnv());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/secrets\.leaked/);
    expect(bad.stderr).not.toContain('sk-raw-key-in-definition');
    expect((await check([fixture, '--tenant', 'acme'], chainEnv({ VAULT_ADDR: undefined }))).code).toBe(2);
    expect((await check([fixture], chainEnv())).code).toBe(2);
  });
});
