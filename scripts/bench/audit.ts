// Benchmark (not a test): chained audit appends per second from 16 concurrent writers next to plain inserts into the
// same table in the same run (target ratio ≥ 0.5), then verify throughput (entries/s) over the chain just written.
// Chained appends sign a checkpoint every --checkpoint-every entries (1000, the workers' default), as workers do.
// Run: `node bin/steward.js dev --detach`, then
// `node dist/scripts/bench/audit.js [--seconds 10] [--writers 16] [--checkpoint-every 1000]`.
import type { Pool } from 'pg';
import { recordAuditEvent } from '../../src/audit/audit-log';
import { readTrail } from '../../src/audit/audit-trail';
import { createCheckpointSigner } from '../../src/audit/checkpoint-signer';
import { signCheckpointsPeriodically } from '../../src/audit/periodic-checkpoints';
import { loadCodecConfig } from '../../src/codec/config';
import { verifyChain } from '../../src/audit/chain-verify';
import { loadRuntimeConfig } from '../../src/config/runtime';
import { createPool } from '../../src/db/pool';
import { withTenant } from '../../src/db/tenant-scope';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { integerArgument } from './support/arguments';
import { withBenchTenant } from './support/bench-tenant';

const TARGET_RATIO = 0.5;
const EVENT = { type: 'llm.call', runId: 'bench-run', step: 'classify', agentId: 'bench', payload: { outcome: 'ok', tokens: 512, cost_usd: 0.0015 } };

/** Appends per second from `writers` concurrent loops, each append its own transaction, for `seconds`. */
async function measure(writers: number, seconds: number, append: () => Promise<unknown>): Promise<{ count: number; perSecond: number }> {
  const until = performance.now() + seconds * 1000;
  let count = 0;
  const loop = async () => {
    while (performance.now() < until) {
      await append();
      count++;
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: writers }, loop));
  return { count, perSecond: count / ((performance.now() - began) / 1000) };
}

/** The baseline: the insert the audit log made before the chain, through the same tenant-scoped transaction. */
function plainInsert(pool: Pool, tenant: TenantId): Promise<unknown> {
  return withTenant(pool, tenant, (db) =>
    db.query(`INSERT INTO audit_events (tenant_id, run_id, step, agent_id, event_type, payload) VALUES ($1, $2, $3, $4, $5, $6)`, [
      tenant,
      EVENT.runId,
      EVENT.step,
      EVENT.agentId,
      EVENT.type,
      EVENT.payload,
    ]),
  );
}

async function main(): Promise<void> {
  const seconds = integerArgument('--seconds', 10);
  const writers = integerArgument('--writers', 16);
  const checkpointEvery = integerArgument('--checkpoint-every', 1_000);
  const config = loadRuntimeConfig();
  const pool = createPool(config.appDatabaseUrl, { max: writers });
  const codec = loadCodecConfig(config.secretsEnv);
  const signer = createCheckpointSigner({ vault: codec.vault, mount: codec.transitMount });
  let signingFailures = 0;
  signCheckpointsPeriodically(pool, { signer, every: checkpointEvery, onError: () => (signingFailures += 1) });
  try {
    // Plain rows in a tenant of their own: in the chained tenant they would be unchained rows, i.e. forgeries.
    await withBenchTenant(config, 'bench-audit-plain', (plainTenant) =>
      withBenchTenant(config, 'bench-audit', async (tenant) => {
        const warm = () => measure(writers, 1, () => plainInsert(pool, plainTenant));
        await warm();
        const plain = await measure(writers, seconds, () => plainInsert(pool, plainTenant));
        const chained = await measure(writers, seconds, () => recordAuditEvent(pool, tenant, EVENT));
        const plainAgain = await measure(writers, seconds, () => plainInsert(pool, plainTenant));
        const baseline = (plain.perSecond + plainAgain.perSecond) / 2;
        const ratio = chained.perSecond / baseline;
        console.log(`plain inserts, ${writers} writers      ${baseline.toFixed(0).padStart(7)} /s   (mean of the runs before and after: ${plain.perSecond.toFixed(0)}, ${plainAgain.perSecond.toFixed(0)})`);
        console.log(`chained appends, ${writers} writers    ${chained.perSecond.toFixed(0).padStart(7)} /s   (${chained.count} entries, one tenant, a checkpoint every ${checkpointEvery})`);
        console.log(`ratio chained / plain: ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`);

        const read = performance.now();
        const snapshot = await readTrail(pool, tenant);
        const verifying = performance.now();
        const report = verifyChain({ tenant, entries: snapshot.entries, checkpoints: [], publicKey: () => undefined, complete: true, head: snapshot.head });
        console.log(`checkpoints signed while appending: ${snapshot.checkpoints.length} (${signingFailures} signatures failed)`);
        const done = performance.now();
        const perSecond = (ms: number) => (snapshot.entries.length / (ms / 1000)).toFixed(0);
        console.log(
          `verify ${snapshot.entries.length} entries: ${report.intact ? 'intact' : 'NOT intact'}; read ${(verifying - read).toFixed(0)} ms, check ${(done - verifying).toFixed(0)} ms; ` +
            `${perSecond(done - read)} entries/s end to end (${perSecond(done - verifying)} entries/s hashing and linking alone)`,
        );
      }),
    );
  } finally {
    signer.close();
    await pool.end();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
