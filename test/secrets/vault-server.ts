// Starts a real Vault server for a test file (storage in a temporary folder) (on a free loopback port), seeded like the local stack's.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import createVaultClient from 'node-vault';
import type NodeVault from 'node-vault';
import { stopProcess } from '../../dev-server/processes';
import { findOrBuildVault, seedVault, startVaultServer, unsealVault, vaultAddress, waitForVault, type SeededVault } from '../../dev-server/vault';

/** Long enough for a cold build of the vault binary on a fresh machine. */
export const VAULT_START_TIMEOUT_MS = 30 * 60_000;

export interface TestVault {
  address: string;
  rootToken: string;
  seeded: SeededVault;
  /** A client holding the root token, for arranging state the test then reads through the backends. */
  root: NodeVault.client;
  stop(): Promise<void>;
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startTestVault(tenants: readonly string[] = ['demo', 'acme', 'globex']): Promise<TestVault> {
  const cacheDir = process.env.STEWARD_CACHE_DIR ?? join(homedir(), '.cache', 'steward');
  const binary = findOrBuildVault(cacheDir, (line) => process.stderr.write(`[vault] ${line}\n`));
  const port = await findFreePort();
  const logDir = mkdtempSync(join(tmpdir(), 'steward-test-vault-'));
  const logFile = join(logDir, 'vault.log');
  const address = vaultAddress(port);
  const pid = startVaultServer({ binary, port, logFile, dataDir: join(logDir, 'vault') });
  try {
    const rootToken = await unsealVault(address, join(logDir, 'vault'), logFile);
    await waitForVault(address, logFile);
    const seeded = await seedVault({ address, rootToken, tenants });
    const root = createVaultClient({ endpoint: address, token: rootToken, requestOptions: { timeout: 5_000 } });
    return {
      address,
      rootToken,
      seeded,
      root,
      async stop() {
        await stopProcess(pid);
        rmSync(logDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopProcess(pid);
    rmSync(logDir, { recursive: true, force: true });
    throw error;
  }
}
