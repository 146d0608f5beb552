// An untouched trail of 100,000 entries verifies, and how long that takes (printed for the README and the report).
// The entries are written in bulk by the database owner with the writer's own chain arithmetic, then verified
// through the CLI exactly as an operator would.
import { Pool } from 'pg';
import { chainedContent } from '../../src/audit/audit-log';
import { entryHash, genesisHash } from '../../src/audit/chain-hash';
import { createPool } from '../../src/db/pool';
import { runCli } from '../support/cli';
import { createTestTenant, testConfig } from '../support/stack';

const ENTRIES = 100_000;
const BATCH = 5_000;
let owner: Pool;

beforeAll(() => {
  owner = createPool(testConfig().databaseUrl, { max: 1 });
});

afterAll(async () => {
  await owner?.end();
});

test(`an untouched trail of ${ENTRIES} entries verifies (exit 0)`, async () => {
  const tenant = await createTestTenant('audit-scale');
  const start = Date.parse('2026-01-01T00:00:00Z');
  let previous = genesisHash(tenant);
  for (let first = 1; first <= ENTRIES; first += BATCH) {
    const rows = { seq: [] as number[], prev: [] as string[], hash: [] as string[], at: [] as string[], run: [] as string[], payload: [] as string[] };
    for (let seq = first; seq < first + BATCH; seq++) {
      const createdAt = new Date(start + seq);
      const payload = { outcome: 'ok', step: seq % 7, cost_usd: 0.0015 };
      const hash = entryHash(tenant, previous, chainedContent({ type: 'llm.call', runId: `run-${seq % 100}`, agentId: 'scale' }, payload, createdAt));
      rows.seq.push(seq);
      rows.prev.push(previous);
      rows.hash.push(hash);
      rows.at.push(createdAt.toISOString());
      rows.run.push(`run-${seq % 100}`);
      rows.payload.push(JSON.stringify(payload));
      previous = hash;
    }
    await owner.query(
      `INSERT INTO audit_events (tenant_id, event_type, agent_id, seq, prev_hash, hash, created_at, run_id, payload)
       SELECT $1, 'llm.call', 'scale', * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[])`,
      [tenant, rows.seq, rows.prev, rows.hash, rows.at, rows.run, rows.payload],
    );
  }
  await owner.query('INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES ($1, $2, $3)', [tenant, ENTRIES, previous]);

  const began = performance.now();
  const result = await runCli(['audit', 'verify', '--tenant', tenant, '--json'], { timeoutMs: 300_000 });
  const seconds = (performance.now() - began) / 1000;
  process.stdout.write(`audit verify of ${ENTRIES} entries: ${seconds.toFixed(2)} s (CLI, including start-up and signing a checkpoint)\n`);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ intact: true, entries: ENTRIES, lastSeq: ENTRIES, checkpoints: 1 });
}, 600_000);
