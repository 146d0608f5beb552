// Asking a tenant's Worker to start before a query. Everything else a run can be asked (a start, a signal, an update,
// a timer) waits in the task queue, where a watching replica sees it; a query does not: Temporal hands it only to a
// Worker already polling. So Steward's own query paths (a run's progress, `steward runs show`) first send a wake
// request over Postgres's LISTEN/NOTIFY, which every replica listens to, and the replica serving the tenant starts
// its Worker at once. A raw `temporal workflow query` sends none and waits until the tenant has other work.
import { Client, type Pool } from 'pg';
import type { Logger } from '../log/logger';
import { assertTenantId, type TenantId } from '../tenancy/tenant-id';

const CHANNEL = 'steward_wake';
const RECONNECT_MS = 1_000;

/** Asks whichever replica serves the tenant to start its Worker; harmless when it already runs. */
export async function requestWake(pool: Pool, tenant: TenantId): Promise<void> {
  await pool.query('SELECT pg_notify($1, $2)', [CHANNEL, tenant]);
}

/** Listens for wake requests on a connection of its own, reconnecting after any loss, until stopped. */
export function listenForWakes(connectionString: string, onWake: (tenant: TenantId) => void, log: Logger): { stop(): Promise<void> } {
  let stopped = false;
  let failing = false;
  let client: Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const retryLater = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, RECONNECT_MS);
  };
  const connect = async () => {
    const next = new Client({ connectionString });
    client = next;
    next.on('notification', (message) => {
      try {
        onWake(assertTenantId(message.payload ?? ''));
      } catch {
        // not a tenant id: nothing to wake
      }
    });
    next.on('error', () => undefined);
    next.on('end', retryLater);
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
      if (failing) log.info('listening for wake requests again');
      failing = false;
    } catch (error) {
      // Said once per outage, not at every try.
      if (!failing) log.warn({ err: error }, 'cannot listen for wake requests; trying again every second');
      failing = true;
      await next.end().catch(() => undefined);
      retryLater();
    }
  };
  void connect();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
