// The local stack's Vault: a dev server on loopback (in memory, unsealed, with a known root token).
// Its state is lost on stop, so the stack seeds it again (see vault-seed.ts) on every start.
import { randomBytes } from 'node:crypto';
import { spawnDetached, waitFor } from './processes';

export { findOrBuildVault, VAULT_VERSION } from './vault-binary';
export { DEMO_TENANTS, seedVault, type SeedVaultOptions, type SeededTenant, type SeededVault } from './vault-seed';

export const VAULT_DEFAULT_PORT = 8200;

export interface VaultDevServerOptions {
  binary: string;
  port: number;
  logFile: string;
  /** The dev root token; for local use only. */
  rootToken: string;
}

export function vaultAddress(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** A fresh root token for a dev server, so no fixed credential is baked into the project. */
export function createDevRootToken(): string {
  return `steward-dev-${randomBytes(12).toString('hex')}`;
}

/** Starts the dev server detached and returns its pid; `waitForVault` tells when it answers. */
export function startVaultDevServer(options: VaultDevServerOptions): number {
  const args = [
    'server',
    '-dev',
    `-dev-listen-address=127.0.0.1:${options.port}`,
    // Otherwise the dev server writes its root token to ~/.vault-token, outside the stack's state folder.
    '-dev-no-store-token',
  ];
  // The caller's VAULT_* settings are dropped so an operator's real Vault cannot leak into the dev server; the root
  // token goes by environment rather than -dev-root-token-id, which would show it in every process listing.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VAULT_')));
  return spawnDetached({
    command: options.binary,
    args,
    logFile: options.logFile,
    env: { ...env, VAULT_DEV_ROOT_TOKEN_ID: options.rootToken },
  });
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
