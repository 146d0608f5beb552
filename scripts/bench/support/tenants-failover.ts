// Section "failover": two sharing replicas, runs in flight across many tenants, each calling an irreversible tool
// against a local API that counts requests per idempotency key; one replica is SIGKILLed mid-flight. Reports every
// run's outcome, requests per key, and how long the survivor takes to serve the dead replica's tenants and to move
// their runs on again.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TenantId } from '../../../src/tenancy/tenant-id';
import { sleep, type BenchSession } from './tenants-context';
import { servedTenants, until } from './worker-replica';

const STUCK_AFTER_MS = 300_000;

export interface FailoverTiming {
  ttlMs: number;
  refreshMs: number;
  /** Whether those are the defaults or the benchmark's short ones. */
  defaults: boolean;
}

export interface FailoverFigures {
  timing: FailoverTiming;
  runs: number;
  tenants: number;
  outcomes: Record<string, number>;
  openAtKill: number;
  openAtKillOfVictim: number;
  victimTenants: number;
  victimRunTenants: number;
  /** Seconds from the kill until the survivor's /healthz lists every tenant the victim had. */
  takenOverSeconds?: number;
  /** Seconds from the kill until the first request of a run of the victim's tenants. */
  progressSeconds?: number;
  /** Seconds from the kill until the last of the victim's tenants' runs open at the kill closed. */
  victimRunsClosedSeconds?: number;
  chargesPerKey: Record<number, number>;
  notifiesPerKey: Record<number, number>;
  chargeKeys: number;
  /** Keys sent more than once whose first request reached the API before the kill, from the killed replica's tenants. */
  duplicatesResentAfterKill: number;
  notifies: number;
  notifiesWithoutKey: number;
}

interface Request {
  tenant: string;
  kind: string;
  key: string;
  at: number;
}

/** The irreversible API: slow enough that the kill catches calls in flight; records every request. */
async function startCountingApi(callMs: number) {
  const requests: Request[] = [];
  const server = createServer((request, response) => {
    request.resume();
    const [, , tenant = '', kind = ''] = (request.url ?? '').split('/');
    requests.push({ tenant, kind, key: String(request.headers['idempotency-key'] ?? 'none'), at: performance.now() });
    setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{"charged": true}'), callMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

const definition = (url: string, tenant: string) => `
id: bench-failover
version: 1
start: charge
nodes:
  charge:
    type: tool
    tool: http
    request: { method: POST, url: "${url}/t/${tenant}/charge", body: { amount: 12 } }
    irreversible: true
    approval: waived
    reason: the benchmark's charges are pre-approved
    retry: { max_attempts: 5 }
    next: notify
  notify:
    type: tool
    tool: http
    request: { method: POST, url: "${url}/t/${tenant}/notify", body: { sent: true } }
    next: done
  done: { type: end, output: "{'ok': true}" }
`;

export async function measureFailover(session: BenchSession, tenants: TenantId[], total: number, callMs: number, timing: FailoverTiming): Promise<FailoverFigures> {
  const { bench } = session;
  await session.stopReplicas();
  const api = await startCountingApi(callMs);
  try {
    await session.register(tenants, (tenant) => definition(api.url, tenant));
    await session.allowLoopback(tenants);
    const env = { STEWARD_REPLICA_TTL_MS: String(timing.ttlMs), STEWARD_TENANT_REFRESH_MS: String(timing.refreshMs) };
    const replicas = [session.spawn('failover-a', env), session.spawn('failover-b', env)];
    await Promise.all(replicas.map((r) => r.started));
    await until(
      'failover: every tenant served or watched by one of the two replicas',
      async () => {
        const { byReplica } = await servedTenants(replicas);
        return [...byReplica.values()].reduce((n, s) => n + s.size, 0) === bench.tenants.length && [...byReplica.values()].every((s) => s.size > 0);
      },
      300_000,
      250,
    );
    const { byReplica } = await servedTenants(replicas);
    // The victim is the replica holding more of the runs' tenants, so the kill catches the most.
    const holds = (label: string) => tenants.filter((t) => byReplica.get(label)!.has(t)).length;
    const [victim, survivor] = holds('failover-a') >= holds('failover-b') ? [replicas[0]!, replicas[1]!] : [replicas[1]!, replicas[0]!];
    const victimTenants = new Set(byReplica.get(victim.label)!);

    bench.say(`failover: starting ${total} runs across ${tenants.length} tenants (each charge call takes ${callMs} ms)`);
    const runs = await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const tenant = tenants[i % tenants.length]!;
        const handle = await (await session.client(tenant)).start({ workflow: 'bench-failover', input: {} });
        return { tenant, handle, closedAt: undefined as number | undefined, status: undefined as string | undefined };
      }),
    );
    const watching = runs.map(async (run) => {
      const deadline = Date.now() + STUCK_AFTER_MS;
      for (;;) {
        const { status } = await run.handle.describe();
        if (status.name !== 'RUNNING') {
          run.status = status.name;
          run.closedAt = performance.now();
          return;
        }
        if (Date.now() > deadline) return;
        await sleep(250);
      }
    });
    // Killed once a good share of the charges are in flight, not before any run reached its tool.
    await until('failover: charges in flight', () => api.requests.filter((r) => r.kind === 'charge').length >= Math.min(total, 20) * 0.5, 120_000, 50);
    const open = () => runs.filter((r) => r.closedAt === undefined);
    const openAtKill = open();
    bench.say(`failover: SIGKILL of ${victim.label} (pid ${victim.pid}, ${victimTenants.size} tenants) with ${openAtKill.length} runs open`);
    await victim.kill();
    const killedAt = performance.now();
    const victimOpen = openAtKill.filter((r) => victimTenants.has(r.tenant));
    const takenOver = until(
      'failover: the survivor serves the dead replica\'s tenants',
      async () => {
        const mine = (await servedTenants([survivor])).byReplica.get(survivor.label)!;
        return [...victimTenants].every((t) => mine.has(t)) ? (performance.now() - killedAt) / 1000 : undefined;
      },
      STUCK_AFTER_MS,
      100,
    ).catch(() => undefined);
    const progressed = until('failover: a run of the dead replica\'s tenants moves on', () => {
      const first = api.requests.find((r) => r.at > killedAt && victimTenants.has(r.tenant));
      return first ? (first.at - killedAt) / 1000 : undefined;
    }, STUCK_AFTER_MS, 50).catch(() => undefined);
    const [takenOverSeconds, progressSeconds] = await Promise.all([takenOver, progressed]);
    await Promise.all(watching);
    const closedTimes = victimOpen.map((r) => r.closedAt);
    const outcomes: Record<string, number> = {};
    for (const run of runs) outcomes[run.status ?? 'stuck'] = (outcomes[run.status ?? 'stuck'] ?? 0) + 1;
    const perKey = (kind: string) => {
      const counts = new Map<string, number>();
      for (const r of api.requests.filter((q) => q.kind === kind)) counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
      const distribution: Record<number, number> = {};
      for (const n of counts.values()) distribution[n] = (distribution[n] ?? 0) + 1;
      return { distribution, keys: counts.size };
    };
    const charges = perKey('charge');
    const chargeRequests = api.requests.filter((r) => r.kind === 'charge');
    const duplicatedKeys = [...new Set(chargeRequests.map((r) => r.key))].filter((key) => chargeRequests.filter((r) => r.key === key).length > 1);
    const resentAfterKill = duplicatedKeys.filter((key) => {
      const sent = chargeRequests.filter((r) => r.key === key);
      return sent[0]!.at < killedAt && victimTenants.has(sent[0]!.tenant) && sent.slice(1).every((r) => r.at > killedAt);
    });
    return {
      timing,
      runs: total,
      tenants: tenants.length,
      outcomes,
      openAtKill: openAtKill.length,
      openAtKillOfVictim: victimOpen.length,
      victimTenants: victimTenants.size,
      victimRunTenants: tenants.filter((t) => victimTenants.has(t)).length,
      takenOverSeconds,
      progressSeconds,
      victimRunsClosedSeconds: closedTimes.every((t) => t !== undefined) && closedTimes.length > 0 ? (Math.max(...(closedTimes as number[])) - killedAt) / 1000 : undefined,
      chargesPerKey: charges.distribution,
      notifiesPerKey: perKey('notify').distribution,
      notifies: api.requests.filter((r) => r.kind === 'notify').length,
      notifiesWithoutKey: api.requests.filter((r) => r.kind === 'notify' && r.key === 'none').length,
      duplicatesResentAfterKill: resentAfterKill.length,
      chargeKeys: charges.keys,
    };
  } finally {
    await session.stopReplicas();
    await api.close();
  }
}
