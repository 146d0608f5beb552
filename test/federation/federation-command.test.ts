// `steward federation`: a local setup from the command line. A token is printed once and stored only as its hash;
// list and show never print a token or a hash; revoke, allow, trust and expose change the tenant's policy;
// `certs` writes a CA and certificates with keys readable by their owner only.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { Client as PgClient } from 'pg';
import { registerFederationCommands } from '../../src/cli/commands/federation';
import { exitCodeFor } from '../../src/cli/errors';
import { sha256Hex } from '../../src/federation/inbound-token';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, testConfig } from '../support/stack';

let tenant: TenantId;
let dir: string;

beforeAll(async () => {
  tenant = await createTestTenant('fed-cli');
  dir = mkdtempSync(join(tmpdir(), 'steward-federation-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `steward …` in-process the way `main` does (a process per command costs seconds): exit code and output. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('steward').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerFederationCommands(program);
  let stdout = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  try {
    await program.parseAsync(['node', 'steward', ...args]);
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    return { code: error instanceof CommanderError ? 2 : exitCodeFor(error), stdout, stderr: (error as Error).message };
  } finally {
    write.mockRestore();
  }
}

async function storedSettings(): Promise<string> {
  const db = new PgClient({ connectionString: testConfig().databaseUrl });
  await db.connect();
  try {
    return JSON.stringify((await db.query('SELECT settings FROM tenants WHERE id = $1', [tenant])).rows[0]);
  } finally {
    await db.end();
  }
}

test('certs ca and certs issue write PEM files; keys are 0600; the client certificate names the agent', async () => {
  expect((await runCli(['federation', 'certs', 'ca', '--name', 'org-a', '--out', join(dir, 'org-a')])).code).toBe(0);
  const issued = await runCli(['federation', 'certs', 'issue', '--ca', join(dir, 'org-a'), '--client', 'buyer-bot', '--org', 'org-a', '--out', join(dir, 'org-a')]);
  expect(issued.code).toBe(0);
  const certificate = new X509Certificate(readFileSync(join(dir, 'org-a', 'buyer-bot.pem')));
  expect(certificate.subjectAltName).toBe('URI:spiffe://org-a/agent/buyer-bot');
  expect(certificate.checkIssued(new X509Certificate(readFileSync(join(dir, 'org-a', 'ca.pem'))))).toBe(true);
  for (const key of ['ca-key.pem', 'buyer-bot-key.pem']) expect(statSync(join(dir, 'org-a', key)).mode & 0o777).toBe(0o600);
  expect((await runCli(['federation', 'certs', 'issue', '--ca', join(dir, 'org-a'), '--out', dir])).code).toBe(2);
}, 60_000);

test('a token is printed once, kept as its hash only, listed without it, and revoked', async () => {
  expect((await runCli(['federation', 'expose', 'quote', '--tenant', tenant, '--description', 'quotes a price'])).code).toBe(0);
  expect((await runCli(['federation', 'allow', 'buyer-bot', '--tenant', tenant])).code).toBe(0);
  expect((await runCli(['federation', 'trust', 'org-a', '--ca', join(dir, 'org-a', 'ca.pem'), '--tenant', tenant])).code).toBe(0);
  const issued = await runCli(['federation', 'token', 'issue', '--tenant', tenant, '--agent', 'buyer-bot', '--scopes', 'a2a:send,a2a:read', '--expires', '1d', '--json']);
  expect(issued.code).toBe(0);
  const { id, token } = JSON.parse(issued.stdout) as { id: string; token: string };
  expect(token).toMatch(/^stfed_[a-f0-9]{16}_[A-Za-z0-9_-]{43}$/);

  const stored = await storedSettings();
  expect(stored).toContain(sha256Hex(token));
  expect(stored).not.toContain(token.slice('stfed_'.length + 17));

  const listed = await runCli(['federation', 'token', 'list', '--tenant', tenant, '--json']);
  expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id, agent: 'buyer-bot', scopes: ['a2a:send', 'a2a:read'] })]);
  const shown = await runCli(['federation', 'show', '--tenant', tenant, '--json']);
  expect(JSON.parse(shown.stdout)).toMatchObject({ agents: { quote: { description: 'quotes a price' } }, allow: ['buyer-bot'], trusted_cas: ['org-a'] });
  for (const output of [listed.stdout, shown.stdout]) expect(output).not.toContain(sha256Hex(token));

  expect((await runCli(['federation', 'token', 'revoke', id, '--tenant', tenant])).code).toBe(0);
  expect(JSON.parse((await runCli(['federation', 'token', 'list', '--tenant', tenant, '--json'])).stdout)[0]).toMatchObject({ id, revoked_at: expect.any(String) });
  expect((await runCli(['federation', 'token', 'revoke', 'ffffffffffffffff', '--tenant', tenant])).code).toBe(2);
}, 60_000);

test('bad input exits 2 with the reason: an agent id that is not one, a tenant that does not exist', async () => {
  const bad = await runCli(['federation', 'allow', 'Not An Agent', '--tenant', tenant]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('agent:');
  expect((await runCli(['federation', 'token', 'list', '--tenant', 'no-such-tenant-here'])).code).toBe(2);
}, 30_000);
