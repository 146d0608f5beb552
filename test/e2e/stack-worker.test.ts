// The stack knows the worker it started and only that one: `dev status` is unhealthy while it is dead, `dev --detach`
// restarts a SIGKILLed one, and a worker started by hand is named but neither adopted, duplicated by a later start,
// nor stopped with the stack's. Runs against the test stack (whose `dev stop` would stop everything: only its
// worker is stopped here).
import { spawn, type ChildProcess } from 'node:child_process';
import { isAlive } from '../../dev-server/processes';
import { stopStack, unmanagedWorkers } from '../../dev-server/stack';
import { loadStewardEnv } from '../../src/config/env';
import { readStackFile } from '../../src/config/stack-file';
import { runCli, STEWARD_BIN } from '../support/cli';
import { processExit } from '../support/stack';

// The stack's own database, as `steward dev` uses it (the suite's runs live in a database of their own).
const { DATABASE_URL: _database, TEMPORAL_ADDRESS: _address, ...env } = process.env;
const stewardEnv = loadStewardEnv(env);
let byHand: ChildProcess | undefined;

afterAll(async () => {
  if (byHand && byHand.exitCode === null) {
    byHand.kill('SIGKILL');
    await processExit(byHand);
  }
  await stopStack(stewardEnv, ['worker']);
});

async function status(): Promise<{ code: number | null; worker: { pid: number | null; healthy: boolean; others: number[]; serving?: number } }> {
  const result = await runCli(['dev', 'status', '--json'], { env });
  return { code: result.code, worker: JSON.parse(result.stdout).worker };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const healthyWorker = () => until('a healthy worker', async () => ((await status()).worker.healthy ? (await status()).worker : undefined));

test('dev --detach restarts a SIGKILLed worker, status tells the truth meanwhile, and a hand-started worker is left alone', async () => {
  expect((await runCli(['dev', '--detach'], { env, timeoutMs: 120_000 })).code).toBe(0);
  const first = await healthyWorker();
  expect(first.serving).toBeGreaterThanOrEqual(1);

  process.kill(first.pid!, 'SIGKILL');
  await until('the worker dying', async () => (isAlive(first.pid!) ? undefined : true));
  const dead = await status();
  expect(dead.code).not.toBe(0);
  expect(dead.worker).toMatchObject({ pid: null, healthy: false });

  const restart = await runCli(['dev', '--detach'], { env, timeoutMs: 120_000 });
  expect(restart.code).toBe(0);
  const second = await healthyWorker();
  expect(second.pid).not.toBe(first.pid);

  byHand = spawn(process.execPath, [STEWARD_BIN, 'worker'], { env: { ...env, DATABASE_URL: readStackFile(stewardEnv.STEWARD_STATE_DIR)!.postgres.url }, stdio: 'ignore' });
  const seen = await until('the hand-started worker being seen', async () => ((await status()).worker.others.includes(byHand!.pid!) ? (await status()).worker : undefined));
  expect(seen.pid).toBe(second.pid);

  const again = await runCli(['dev', '--detach'], { env, timeoutMs: 120_000 });
  expect(again.code).toBe(0);
  // Other suites' `steward worker` processes share the test stack's state folder and may be named beside it.
  const named = /worker pid ([\d, ]+) was not started by the stack/.exec(again.stderr)?.[1]?.split(', ').map(Number);
  expect(named).toContain(byHand.pid);
  expect(named).not.toContain(second.pid);
  expect(readStackFile(stewardEnv.STEWARD_STATE_DIR)!.worker.pid).toBe(second.pid);

  expect(await stopStack(stewardEnv, ['worker'])).toEqual(['worker']);
  expect(isAlive(second.pid!)).toBe(false);
  expect(isAlive(byHand.pid)).toBe(true);
  expect(unmanagedWorkers(stewardEnv)).toContain(byHand.pid);
});
