// The aws backend against a real server speaking the Secrets Manager protocol (moto's server, started here):
// `aws:<name>[#<key>]` reads `steward/<tenant>/<name>` through the chain, so one tenant's reference never
// reaches another's secret; a name cannot climb out of the prefix; an unreachable service fails closed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadSecretsConfig } from '../../src/secrets/config';
import { createSecretChain } from '../../src/secrets/create-chain';
import type { SecretResolver } from '../../src/secrets';
import { processExit } from '../support/stack';

let server: ChildProcess;
let endpoint: string;
let resolver: SecretResolver;
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'steward-test', AWS_SECRET_ACCESS_KEY: 'steward-test' };

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const chain = (url: string) =>
  createSecretChain(loadSecretsConfig({ STEWARD_SECRET_BACKENDS: 'aws', AWS_REGION: 'us-east-1', STEWARD_AWS_SECRETS_ENDPOINT: url, STEWARD_SECRET_CACHE_TTL_MS: '0' }));

beforeAll(async () => {
  Object.assign(process.env, CREDENTIALS);
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  server = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const admin = new SecretsManagerClient({ region: 'us-east-1', endpoint });
  for (let deadline = Date.now() + 60_000; ; ) {
    try {
      await admin.send(new CreateSecretCommand({ Name: 'steward/acme/federation', SecretString: JSON.stringify({ token: 'acme-federation-token' }) }));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  await admin.send(new CreateSecretCommand({ Name: 'steward/acme/plain', SecretString: 'a-whole-string' }));
  await admin.send(new CreateSecretCommand({ Name: 'steward/globex/federation', SecretString: JSON.stringify({ token: 'globex-federation-token' }) }));
  admin.destroy();
  resolver = chain(endpoint);
}, 90_000);
afterAll(async () => {
  await resolver?.close();
  server?.kill('SIGTERM');
  if (server) await processExit(server);
});

test("a tenant reads its own secret by key, or whole; the same reference in another tenant reads that tenant's", async () => {
  expect(await resolver.resolveSecrets({ token: 'aws:federation#token', plain: 'aws:plain' }, { tenant: 'acme' })).toEqual({ token: 'acme-federation-token', plain: 'a-whole-string' });
  expect(await resolver.resolveSecrets({ token: 'aws:federation#token' }, { tenant: 'globex' })).toEqual({ token: 'globex-federation-token' });
});

test("a secret the tenant does not have is not found, never another tenant's; a name cannot leave the prefix", async () => {
  await expect(resolver.resolveSecret('plain', 'aws:plain', { tenant: 'globex' })).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND' });
  await expect(resolver.resolveSecret('escape', 'aws:../acme/federation#token', { tenant: 'globex' })).rejects.toMatchObject({ code: 'DEFINITION_INVALID' });
});

test('an unreachable service fails closed as SECRET_BACKEND_UNAVAILABLE, naming no address', async () => {
  const down = chain(`http://127.0.0.1:${await freePort()}`);
  try {
    const error = await down.resolveSecret('token', 'aws:federation#token', { tenant: 'acme' }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'SECRET_BACKEND_UNAVAILABLE' });
    expect((error as Error).message).not.toContain('127.0.0.1');
  } finally {
    await down.close();
  }
}, 60_000);
