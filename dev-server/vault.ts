// The local stack's Vault: a single-node server on loopback with file storage in the stack's state folder, so
// its keys and secrets survive a restart. The stack seeds it (see vault-seed.ts) on every start; seeding is
// idempotent.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { spawnDetached, waitFor } from './processes';

export { findOrBuildVault, VAULT_VERSION } from './vault-binary';
export { DEMO_TENANTS, seedVault, type SeedVaultOptions, type SeededTenant, type SeededVault } from './vault-seed';

export const VAULT_DEFAULT_PORT = 8200;

export interface VaultServerOptions {
  binary: string;
  port: number;
  logFile: string;
  /** Where Vault keeps its (encrypted) storage and the stack keeps its unseal key: the stack's state folder. */
  dataDir: string;
}

export function vaultAddress(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/**
 * Starts Vault detached with file storage under `dataDir`, and returns its pid. Unlike `vault server -dev`, its
 * data (Transit keys above all) survives a restart of the stack: payloads and user tokens sealed before a
 * restart still open after it. `unsealVault` initialises it once and unseals it on every start.
 */
export function startVaultServer(options: VaultServerOptions): number {
  mkdirSync(join(options.dataDir, 'storage'), { recursive: true });
  const config = join(options.dataDir, 'vault.hcl');
  writeFileSync(
    config,
    [
      `storage "file" { path = ${JSON.stringify(join(options.dataDir, 'storage'))} }`,
      `listener "tcp" {\n  address = "127.0.0.1:${options.port}"\n  tls_disable = true\n}`,
      `api_addr = "${vaultAddress(options.port)}"`,
      // mlock needs IPC_LOCK, which a developer's machine or container rarely grants; this is a local dev server.
      'disable_mlock = true',
      '',
    ].join('\n'),
  );
  // The caller's VAULT_* settings are dropped so an operator's real Vault cannot leak into the dev server.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VAULT_')));
  return spawnDetached({ command: options.binary, args: ['server', `-config=${config}`], logFile: options.logFile, env });
}

const InitFile = z.object({ unseal_key: z.string().min(1), root_token: z.string().min(1) });
const SealStatus = z.object({ initialized: z.boolean(), sealed: z.boolean() });

/**
 * Initialises Vault on its first start (one unseal key, kept with the root token in `dataDir`, readable by the
 * owner only) and unseals it; returns the root token. For local development only: a real deployment keeps the
 * unseal key elsewhere, or auto-unseals.
 */
export async function unsealVault(address: string, dataDir: string, logFile?: string): Promise<string> {
  const initFile = join(dataDir, 'init.json');
  await waitFor('Vault to listen', async () => (await readSealStatus(address)) !== undefined, 30_000, logFile);
  if ((await readSealStatus(address))?.initialized === false) {
    const answer = z
      .object({ keys_base64: z.array(z.string()).length(1), root_token: z.string() })
      .parse(await vaultPut(address, '/v1/sys/init', { secret_shares: 1, secret_threshold: 1 }));
    writeFileSync(initFile, JSON.stringify({ unseal_key: answer.keys_base64[0], root_token: answer.root_token }), { mode: 0o600 });
  }
  if (!existsSync(initFile)) throw new Error(`Vault in ${dataDir} was initialised elsewhere: ${initFile} is missing (delete the folder to start afresh)`);
  const keys = InitFile.parse(JSON.parse(readFileSync(initFile, 'utf8')));
  if ((await readSealStatus(address))?.sealed !== false) await vaultPut(address, '/v1/sys/unseal', { key: keys.unseal_key });
  return keys.root_token;
}

async function readSealStatus(address: string): Promise<z.infer<typeof SealStatus> | undefined> {
  try {
    const response = await fetch(`${address}/v1/sys/seal-status`, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? SealStatus.parse(await response.json()) : undefined;
  } catch {
    return undefined;
  }
}

async function vaultPut(address: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${address}${path}`, { method: 'PUT', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  // Vault's answers to init and unseal carry key material: only the status is ever reported.
  if (!response.ok) throw new Error(`Vault ${path} answered ${response.status}`);
  return response.json();
}

/** True when Vault answers its health check as initialized, unsealed and active. */
export async function isVaultHealthy(address: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(`${address}/v1/sys/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function waitForVault(address: string, logFile?: string, timeoutMs = 30_000): Promise<void> {
  await waitFor('the Vault dev server', () => isVaultHealthy(address), timeoutMs, logFile);
}
