// `steward federation`: serve a tenant's agents over A2A, and manage each tenant's federation policy: which
// definitions are exposed, which CAs and caller agents are trusted, inbound tokens (printed once, stored hashed),
// and the certificates a local setup needs.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadRuntimeConfig } from '../../config/runtime';
import { createPool } from '../../db/pool';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate, loadCertificateAuthority } from '../../federation/certificate-authority';
import {
  issueInboundToken,
  listInboundTokens,
  loadFederationSettings,
  revokeInboundToken,
  setAgentAllowed,
  setDefinitionExposed,
  setMethodScope,
  setTrustedCa,
} from '../../federation/federation-policy';
import { FEDERATION_METHODS, FederationAgentId, type FederationMethod } from '../../federation/federation-settings';
import { parseDuration } from '../../ir/duration';
import { createFederationServer } from '../../servers/federation/federation-server';
import { assertTenantId, type TenantId } from '../../tenancy/tenant-id';
import { findTenant, tenantNotFound } from '../../tenancy/tenant-registry';
import { UsageError } from '../errors';

const print = (json: boolean | undefined, value: unknown, text: string) => process.stdout.write(json ? JSON.stringify(value) + '\n' : text + '\n');

/** Runs `work` with the operator's connection, for a tenant that exists. */
async function withTenantPolicy<T>(tenant: string, work: (admin: ReturnType<typeof createPool>, id: TenantId) => Promise<T>): Promise<T> {
  const id = assertTenantId(tenant);
  const admin = createPool(loadRuntimeConfig().databaseUrl, { max: 1 });
  try {
    if (!(await findTenant(admin, id))) throw tenantNotFound(id);
    return await work(admin, id);
  } finally {
    await admin.end();
  }
}

function agentIdOf(text: string): string {
  const parsed = FederationAgentId.safeParse(text);
  if (!parsed.success) throw new UsageError(`agent: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export function registerFederationCommands(program: Command): void {
  const federation = program.command('federation').description("call and be called by other organisations' agents over A2A (mutual TLS + scoped tokens)");

  federation
    .command('serve')
    .description("serve tenants' exposed definitions as A2A agents over mutual TLS until SIGINT/SIGTERM")
    .requiredOption('--cert <file>', "the endpoint's certificate (PEM)")
    .requiredOption('--key <file>', "the endpoint's private key (PEM)")
    .option('--port <port>', 'port', '4050')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--public-url <url>', 'where callers reach this server (agent cards); default https://<host>:<port>')
    .action(async (options: { cert: string; key: string; port: string; host: string; publicUrl?: string }) => {
      const [cert, key] = await Promise.all([readFile(options.cert, 'utf8'), readFile(options.key, 'utf8')]);
      const publicUrl = options.publicUrl ?? `https://${options.host}:${options.port}`;
      const app = createFederationServer({ config: loadRuntimeConfig(), tls: { cert, key }, publicUrl });
      await app.listen({ port: Number(options.port), host: options.host }).catch(async (error: unknown) => {
        await app.close();
        throw error;
      });
      process.stderr.write(`steward federation: listening on ${publicUrl}\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      await app.close();
    });

  federation
    .command('show')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--json', 'print JSON')
    .description("show the tenant's federation policy (token hashes left out)")
    .action(async (options: { tenant: string; json?: boolean }) => {
      await withTenantPolicy(options.tenant, async (admin, tenant) => {
        const settings = await loadFederationSettings(admin, tenant);
        const shown = settings && { ...settings, tokens: settings.tokens.map(({ sha256: _hash, ...token }) => token), trusted_cas: settings.trusted_cas.map((ca) => ca.name) };
        print(options.json, shown ?? null, JSON.stringify(shown ?? {}, null, 2));
      });
    });

  federation
    .command('expose')
    .argument('<definition>', 'the definition to serve as an agent')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--description <text>', "the agent card's description")
    .option('--version <n>', 'pin a version (else the newest registered)')
    .option('--remove', 'stop serving it')
    .description('serve (or stop serving) a definition as an A2A agent')
    .action(async (definition: string, options: { tenant: string; description?: string; version?: string; remove?: boolean }) => {
      await withTenantPolicy(options.tenant, (admin, tenant) =>
        setDefinitionExposed(admin, tenant, definition, options.remove ? undefined : {
          ...(options.description ? { description: options.description } : {}),
          ...(options.version ? { version: Number(options.version) } : {}),
        }),
      );
      process.stdout.write(`tenant ${options.tenant}: ${definition} ${options.remove ? 'no longer served' : 'served over A2A'}\n`);
    });

  for (const [verb, allowed] of [['allow', true], ['disallow', false]] as const) {
    federation
      .command(verb)
      .argument('<agent>', "the caller agent's id (what its certificate and tokens name)")
      .requiredOption('--tenant <id>', 'tenant id')
      .description(allowed ? "add a caller agent to the tenant's allowlist" : 'remove a caller agent from the allowlist (its tokens stop working at once)')
      .action(async (agent: string, options: { tenant: string }) => {
        await withTenantPolicy(options.tenant, (admin, tenant) => setAgentAllowed(admin, tenant, agentIdOf(agent), allowed));
        process.stdout.write(`tenant ${options.tenant}: ${agent} ${allowed ? 'allowed' : 'no longer allowed'}\n`);
      });
  }

  federation
    .command('trust')
    .argument('<name>', "a name for the caller organisation's CA")
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--ca <file>', "the CA certificate (PEM) that issues the caller's client certificates")
    .option('--remove', 'stop trusting it')
    .description("trust (or stop trusting) a caller organisation's CA for client certificates")
    .action(async (name: string, options: { tenant: string; ca?: string; remove?: boolean }) => {
      if (!options.remove && !options.ca) throw new UsageError('--ca <file> is required (or --remove)');
      const pem = options.remove ? undefined : await readFile(options.ca!, 'utf8');
      await withTenantPolicy(options.tenant, (admin, tenant) => setTrustedCa(admin, tenant, name, pem));
      process.stdout.write(`tenant ${options.tenant}: CA ${name} ${options.remove ? 'no longer trusted' : 'trusted'}\n`);
    });

  federation
    .command('scope')
    .argument('<method>', FEDERATION_METHODS.join(' | '))
    .argument('<scope>', 'the scope a token needs for it')
    .requiredOption('--tenant <id>', 'tenant id')
    .description('set the scope a method needs (defaults: a2a:send, a2a:read, a2a:cancel)')
    .action(async (method: string, scope: string, options: { tenant: string }) => {
      if (!(FEDERATION_METHODS as readonly string[]).includes(method)) throw new UsageError(`method: one of ${FEDERATION_METHODS.join(', ')}`);
      await withTenantPolicy(options.tenant, (admin, tenant) => setMethodScope(admin, tenant, method as FederationMethod, scope));
      process.stdout.write(`tenant ${options.tenant}: ${method} needs ${scope}\n`);
    });

  const token = federation.command('token').description('inbound bearer tokens: issued to a caller agent, stored as SHA-256 only');
  token
    .command('issue')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--agent <id>', 'the caller agent the token is bound to')
    .option('--scopes <list>', 'comma-separated scopes', 'a2a:send,a2a:read')
    .option('--expires <duration>', 'lifetime (e.g. 30d, 12h)', '30d')
    .option('--json', 'print JSON')
    .description('issue a token; the plaintext is printed once and kept nowhere')
    .action(async (options: { tenant: string; agent: string; scopes: string; expires: string; json?: boolean }) => {
      const scopes = options.scopes.split(',').map((scope) => scope.trim()).filter((scope) => scope !== '');
      let lifetimeMs: number;
      try {
        lifetimeMs = parseDuration(options.expires);
      } catch {
        throw new UsageError('--expires: a duration such as 30d or 12h');
      }
      const issued = await withTenantPolicy(options.tenant, (admin, tenant) =>
        issueInboundToken(admin, tenant, { agent: agentIdOf(options.agent), scopes, expiresAt: new Date(Date.now() + lifetimeMs) }),
      );
      print(options.json, { ...issued.token, token: issued.plaintext },
        `token ${issued.token.id} for ${issued.token.agent} (${scopes.join(' ')}), expires ${issued.token.expires_at}\n${issued.plaintext}\n(shown once: hand it to the caller's operator over a secure channel)`);
    });
  token
    .command('revoke')
    .argument('<id>', 'token id')
    .requiredOption('--tenant <id>', 'tenant id')
    .description('revoke a token: refused from the next call on')
    .action(async (id: string, options: { tenant: string }) => {
      const found = await withTenantPolicy(options.tenant, (admin, tenant) => revokeInboundToken(admin, tenant, id));
      if (!found) throw new UsageError(`tenant ${options.tenant} has no token ${id}`);
      process.stdout.write(`token ${id}: revoked\n`);
    });
  token
    .command('list')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--json', 'print JSON')
    .description("list the tenant's tokens (ids, agents, scopes, expiry, revocation; never a token)")
    .action(async (options: { tenant: string; json?: boolean }) => {
      const tokens = await withTenantPolicy(options.tenant, (admin, tenant) => listInboundTokens(admin, tenant));
      print(options.json, tokens, tokens.map((t) => `${t.id}\t${t.agent}\t${t.scopes.join(',')}\t${t.expires_at}\t${t.revoked_at ? `revoked ${t.revoked_at}` : 'active'}`).join('\n'));
    });

  const certs = federation.command('certs').description('make a CA and certificates for a federation setup (PEM files, keys mode 0600)');
  certs
    .command('ca')
    .requiredOption('--name <name>', "the organisation's name")
    .requiredOption('--out <dir>', 'folder for ca.pem and ca-key.pem')
    .action(async (options: { name: string; out: string }) => {
      const ca = await createCertificateAuthority(`${options.name} CA`);
      await writePair(options.out, 'ca', ca.certPem, ca.keyPem);
    });
  certs
    .command('issue')
    .requiredOption('--ca <dir>', 'folder holding ca.pem and ca-key.pem')
    .requiredOption('--out <dir>', 'folder for the certificate and its key')
    .option('--client <agent>', 'a client certificate naming this agent (SAN URI spiffe://<org>/agent/<agent>)')
    .option('--org <name>', "the organisation, the SAN URI's trust domain")
    .option('--server <hosts>', 'a server certificate for these comma-separated host names or addresses')
    .action(async (options: { ca: string; out: string; client?: string; org?: string; server?: string }) => {
      if ((options.client === undefined) === (options.server === undefined)) throw new UsageError('give exactly one of --client <agent> or --server <hosts>');
      const ca = await loadCertificateAuthority(await readFile(join(options.ca, 'ca.pem'), 'utf8'), await readFile(join(options.ca, 'ca-key.pem'), 'utf8'));
      if (options.client !== undefined) {
        if (!options.org) throw new UsageError('--org <name> is required with --client');
        const issued = await issueClientCertificate(ca, options.org, agentIdOf(options.client));
        await writePair(options.out, options.client, issued.certPem, issued.keyPem);
      } else {
        const issued = await issueServerCertificate(ca, options.server!.split(',').map((host) => host.trim()));
        await writePair(options.out, 'server', issued.certPem, issued.keyPem);
      }
    });
}

async function writePair(dir: string, name: string, certPem: string, keyPem: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.pem`), certPem);
  await writeFile(join(dir, `${name}-key.pem`), keyPem, { mode: 0o600 });
  await chmod(join(dir, `${name}-key.pem`), 0o600);
  process.stdout.write(`${join(dir, `${name}.pem`)}\n${join(dir, `${name}-key.pem`)}\n`);
}
