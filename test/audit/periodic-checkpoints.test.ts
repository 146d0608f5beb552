// Checkpoints signed as entries are appended: a pool set to sign every 100 entries leaves a signed checkpoint in
// each stretch of 100 that concurrent writers fill, each verifying against the tenant's key.
import type { Pool } from 'pg';
import { recordAuditEvent } from '../../src/audit/audit-log';
import { createCheckpointSigner, type CheckpointSigner } from '../../src/audit/checkpoint-signer';
import { reachesMultiple, signCheckpointsPeriodically } from '../../src/audit/periodic-checkpoints';
import { verifyStoredTrail } from '../../src/audit/trail-verification';
import { loadCodecConfig } from '../../src/codec/config';
import { createPool } from '../../src/db/pool';
import { createTestTenant, testConfig } from '../support/stack';

const config = testConfig();
let app: Pool;
let owner: Pool;
let signer: CheckpointSigner;
const failures: unknown[] = [];

beforeAll(() => {
  app = createPool(config.appDatabaseUrl, { max: 16 });
  owner = createPool(config.databaseUrl, { max: 1 });
  const codec = loadCodecConfig(config.secretsEnv);
  signer = createCheckpointSigner({ vault: codec.vault, mount: codec.transitMount });
  signCheckpointsPeriodically(app, { signer, every: 100, onError: (error) => failures.push(error) });
});

afterAll(async () => {
  signer?.close();
  await app?.end();
  await owner?.end();
});

test('a batch reaches a multiple when one of its sequence numbers is one', () => {
  expect(reachesMultiple([99, 100, 101], 100)).toBe(true);
  expect(reachesMultiple([100], 100)).toBe(true);
  expect(reachesMultiple([101, 150, 199], 100)).toBe(false);
  expect(reachesMultiple([], 100)).toBe(false);
});

test('16 writers appending 250 entries leave a signed checkpoint in entries 100..199 and in 200..250, and the trail verifies', async () => {
  const tenant = await createTestTenant('audit-periodic');
  let next = 0;
  const writer = async () => {
    while (next < 250) await recordAuditEvent(app, tenant, { type: 'test.step', payload: { round: next++ } });
  };
  await Promise.all(Array.from({ length: 16 }, writer));
  const checkpoints = async () => (await owner.query<{ seq: string }>('SELECT seq FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY seq', [tenant])).rows.map((row) => Number(row.seq));
  const deadline = Date.now() + 20_000;
  let signed = await checkpoints();
  while (signed.length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    signed = await checkpoints();
  }
  expect(failures).toEqual([]);
  expect(signed).toHaveLength(2);
  expect(signed[0]).toBeGreaterThanOrEqual(100);
  expect(signed[0]).toBeLessThan(200);
  expect(signed[1]).toBeGreaterThanOrEqual(200);
  const { report } = await verifyStoredTrail(app, signer, tenant);
  expect(report).toMatchObject({ intact: true, entries: 250 });
});
