// What the fault suites share: a tenant served by a Worker whose dependencies sit behind proxies a test can cut, a cut
// that lasts a set time, and readers of a run's raw history (attempts, timers, what it holds in clear).
import { Client, Connection } from '@temporalio/client';
import { SECRET_AGENT_SECRET } from '../../dev-server/sts';
import { StewardClient, type RunHandle } from '../../src/client';
import { loadConnectionOptions } from '../../src/temporal/connection';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { historyText } from '../support/history-text';
import { startProxiedWorker, type ProxiedWorker } from '../support/proxied-worker';
import { createTestTenant, testConfig, writeVaultSecret } from '../support/stack';
import type { TcpProxy } from '../support/tcp-proxy';

export interface OutageTenant {
  tenant: TenantId;
  proxied: ProxiedWorker;
  client: StewardClient;
  stop(): Promise<void>;
}

/** A tenant with a tool token and the expense agent's secret in Vault, its proxied Worker and a client. */
export async function startOutageTenant(name: string, toolToken: string): Promise<OutageTenant> {
  const tenant = await createTestTenant(name);
  await writeVaultSecret(`tenants/${tenant}/tools`, { api_token: toolToken });
  await writeVaultSecret(`tenants/${tenant}/agents`, { expense_agent: SECRET_AGENT_SECRET });
  const [proxied, client] = await Promise.all([startProxiedWorker(tenant), StewardClient.connect({ tenant })]);
  return {
    tenant,
    proxied,
    client,
    async stop() {
      await client.close();
      await proxied.stop();
    },
  };
}

/** Cuts `proxy` now and restores it after `outageMs`, while `work` runs; resolves once both are done. */
export async function whileCut<T>(proxy: TcpProxy, outageMs: number, work: () => Promise<T>): Promise<T> {
  await proxy.cut();
  const restored = new Promise<void>((resolve) => setTimeout(resolve, outageMs)).then(() => proxy.restore());
  try {
    return await work();
  } finally {
    await restored;
  }
}

/** Raw history (no codec) of a run, for the attempts of its activities and canary scans. */
export async function rawHistory(run: RunHandle): Promise<{ events: Array<Record<string, unknown>>; text: string }> {
  const raw = new Client({ connection: await Connection.connect(loadConnectionOptions(testConfig().localTemporalAddress)), namespace: run.namespace });
  try {
    const history = await raw.workflow.getHandle(run.workflowId).fetchHistory();
    return { events: (history.events ?? []) as unknown as Array<Record<string, unknown>>, text: historyText(history) };
  } finally {
    await raw.connection.close();
  }
}

/** How often `activity` was scheduled, the highest attempt any of its schedulings reached, and the run's timers. */
export async function callsOf(run: RunHandle, activity: string): Promise<{ scheduled: number; highestAttempt: number; timers: number }> {
  const { events } = await rawHistory(run);
  const scheduled = new Set<string>();
  let highestAttempt = 0;
  for (const event of events) {
    const attributes = event.activityTaskScheduledEventAttributes as { activityType?: { name?: string } } | undefined;
    if (attributes?.activityType?.name === activity) scheduled.add(String(event.eventId));
    const started = event.activityTaskStartedEventAttributes as { scheduledEventId?: unknown; attempt?: number } | undefined;
    if (started && scheduled.has(String(started.scheduledEventId))) highestAttempt = Math.max(highestAttempt, started.attempt ?? 1);
  }
  return { scheduled: scheduled.size, highestAttempt, timers: events.filter((event) => event.timerStartedEventAttributes).length };
}
