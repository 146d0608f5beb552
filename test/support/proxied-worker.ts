// A tenant Worker in this process whose dependencies (the activities' database, Vault, the STS and its JWKS, the
// Temporal server) are each reached through a TCP proxy a test can cut, to stage an outage of any one of them without
// stopping the suite's shared stack. Codec keys and PII tokens reach their stores directly.
import { NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createPool } from '../../src/db/pool';
import { createSecretChain, loadSecretsConfig } from '../../src/secrets';
import { loadConnectionOptions } from '../../src/temporal/connection';
import { namespaceForTenant, type TenantId } from '../../src/tenancy/tenant-id';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { StewardRuntime } from '../../src/runtime/steward-runtime';
import { createSharedActivityDeps } from '../../src/worker/shared-deps';
import { createTenantWorker } from '../../src/worker/tenant-worker';
import { testConfig } from './stack';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

export interface ProxiedWorker {
  worker: Worker;
  /** A pool straight to the database, for the test's own reads. */
  pool: Pool;
  proxies: { database: TcpProxy; vault: TcpProxy; sts: TcpProxy; temporal: TcpProxy };
  /** `url` (a service of the stack) as reached through `proxy`. */
  through(proxy: TcpProxy, url: string): string;
  /** Set when the Worker stopped on its own. */
  failure(): unknown;
  stop(): Promise<void>;
}

// Built once per test file: a file's workers all run the same workflow code, and building it is CPU-bound.
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

function through(proxy: TcpProxy, url: string): string {
  const proxied = new URL(url.includes('://') ? url : `tcp://${url}`);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return proxied.toString().replace(/\/$/, '');
}

export async function startProxiedWorker(tenant: TenantId): Promise<ProxiedWorker> {
  const config = testConfig();
  const identity = config.identity!;
  const vaultAddress = config.secretsEnv.VAULT_ADDR!;
  const temporalAddress = loadConnectionOptions(config.localTemporalAddress).address ?? config.localTemporalAddress ?? '127.0.0.1:7233';
  const [database, vault, sts, temporal] = await Promise.all([
    startTcpProxy({ port: Number(new URL(config.appDatabaseUrl).port) }),
    startTcpProxy({ port: Number(new URL(vaultAddress).port) }),
    startTcpProxy({ port: Number(new URL(identity.issuer).port) }),
    startTcpProxy({ port: Number(temporalAddress.split(':').at(-1)) }),
  ]);
  const pool = createPool(config.appDatabaseUrl, { max: 4 });
  const activitiesPool = createPool(through(database, config.appDatabaseUrl), { max: 4 });
  const shared = createSharedActivityDeps(StewardRuntime.create(config), console);
  const connection = await NativeConnection.connect({ ...loadConnectionOptions(config.localTemporalAddress), address: `127.0.0.1:${temporal.port}` });
  const worker = await createTenantWorker({
    connection,
    bundle: await (bundle ??= createWorkflowBundle()),
    pool: activitiesPool,
    tenant,
    namespace: namespaceForTenant(tenant, config.env.STEWARD_NAMESPACE_PREFIX),
    shared: {
      ...shared,
      secrets: createSecretChain(loadSecretsConfig({ ...config.secretsEnv, VAULT_ADDR: through(vault, vaultAddress) }), { scrubber: shared.scrubber }),
      identity: { ...identity, jwksUrl: through(sts, identity.jwksUrl) },
    },
  });
  let failure: unknown;
  const running = worker.run().catch((error: unknown) => {
    failure = error;
  });
  const proxies = { database, vault, sts, temporal };
  return {
    worker,
    pool,
    proxies,
    through,
    failure: () => failure,
    async stop() {
      await Promise.all(Object.values(proxies).map((proxy) => proxy.restore()));
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await shared.runtime.close();
      await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
      await Promise.all([pool.end(), activitiesPool.end()]);
      await connection.close();
    },
  };
}
