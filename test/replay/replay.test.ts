// Replays the recorded histories (test/replay/histories, made by scripts/record-histories.ts) against the
// interpreter as production bundles it: a change that breaks running workflows fails here, before it ships.
import { Worker, type ReplayResult, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { NODE_TYPES } from '../../src/ir/schema';
import { createWorkflowBundle } from '../../src/worker/bundle';
import { telemetryWorkerOptions, WORKFLOW_TRACING_INTERCEPTORS } from '../../src/worker/worker-telemetry';
import { assertTenantId } from '../../src/tenancy/tenant-id';
import { definitionsIn } from './embedded-definitions';
import { bundleWorkflowsCopy } from './workflows-copy-bundle';
import { recordedPatches } from './recorded-patches';
import { listHistoryFiles, readStoredHistories, toReplayInput, type StoredHistory } from './stored-histories';

const histories = readStoredHistories();
const REPLAY_SINKS = {
  ...telemetryWorkerOptions(undefined, assertTenantId('replay')).sinks,
  exporter: { export: { fn: () => undefined } },
};

async function replay(bundle: WorkflowBundleWithSourceMap, stored: StoredHistory[]): Promise<Array<{ name: string; error?: ReplayResult['error'] }>> {
  const results: ReplayResult[] = [];
  // Sinks are not called during replay, but a worker must know the ones the workflows name.
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'steward-replay', sinks: REPLAY_SINKS }, toReplayInput(stored))) {
    results.push(result);
  }
  // Histories are replayed one after another, in the order given.
  return results.map((result, index) => ({ name: stored[index]!.name, error: result.error }));
}

test('every stored history replays on the current interpreter without a determinism error', async () => {
  const results = await replay(await createWorkflowBundle(), histories);
  expect(results.filter((r) => r.error).map((r) => `${r.name}: ${r.error!.name}: ${r.error!.message}`)).toEqual([]);
  expect(results).toHaveLength(histories.length);
});

test('every stored history replays as well on the bundle a tracing worker builds (with the OpenTelemetry workflow interceptors)', async () => {
  const results = await replay(await createWorkflowBundle({ interceptorModules: [WORKFLOW_TRACING_INTERCEPTORS] }), histories);
  expect(results.filter((r) => r.error).map((r) => `${r.name}: ${r.error!.name}: ${r.error!.message}`)).toEqual([]);
  expect(results).toHaveLength(histories.length);
});

test('the stored histories run definitions that use every node type of the IR', () => {
  const used = new Set(histories.flatMap((stored) => definitionsIn(stored.json)).flatMap((definition) => Object.values(definition.nodes).map((node) => node.type)));
  expect([...used].sort()).toEqual([...NODE_TYPES].sort());
  for (const stored of histories) expect({ name: stored.name, definitions: definitionsIn(stored.json).length }).toEqual({ name: stored.name, definitions: 1 });
});

test('every history file is listed in the index with its workflow id, and every listed history has its file', () => {
  expect(listHistoryFiles().sort()).toEqual(histories.map((stored) => stored.name).sort());
});

test('replay catches a non-deterministic change: the lean start without its patched() guard fails every run that loaded its definition', async () => {
  // The same optimisation the interpreter ships (prepareRun as a local activity), minus the patched() marker that
  // keeps runs already in flight on the old path: replay proves why the marker is there.
  const mutated = await bundleWorkflowsCopy({
    edits: [{ file: 'agent-workflow.ts', from: "const lean = patched('lean-start');", to: 'const lean = true;' }],
  });
  const results = await replay(mutated, histories);
  const failed = results.filter((r) => r.error).map((r) => r.name);
  // Every recorded run fails: older ones took the old path (continued ones set their search attributes the old way),
  // and lean ones recorded the patch marker that the unguarded code no longer produces.
  expect(failed.sort()).toEqual(histories.map((stored) => stored.name).sort());
  for (const { error } of results.filter((r) => r.error)) {
    expect(error!.name).toBe('DeterminismViolationError');
    expect(error!.message).toMatch(/nondetermin/i);
  }
});

// Runs recorded on a patched() branch: code that no longer asks patched() (the branch gone, or renamed) cannot replay
// them, while every other run replays as before.
test.each([
  { patch: 'delegation-escalation-inbox', run: '2026-12-06-delegation-escalation/delegation-escalation', file: 'delegation-escalation.ts', from: 'const why = patched(ESCALATION_INBOX_PATCH) ?', to: 'const why = false ?' },
  { patch: 'llm-tool-loop', run: '2026-12-06-llm-tool-loop/llm-tool-loop', file: 'llm-node.ts', from: 'if (!node.tools?.length || !patched(TOOL_LOOP_PATCH)) {', to: 'if (!node.tools?.length) {' },
  { patch: 'subworkflow-acts-for-user', run: '2026-12-06-subworkflow-for-user/subworkflow-for-user', file: 'interpreter.ts', from: 'return user && patched(CHILD_USER_PATCH) ? { user } : {};', to: 'return user ? { user } : {};' },
])('the $patch branch is recorded, and taken away fails exactly the runs that recorded it', async ({ patch, run, file, from, to }) => {
  const recording = histories.filter((stored) => recordedPatches(stored.json).includes(patch)).map((stored) => stored.name);
  expect(recording).toContain(run);
  const results = await replay(await bundleWorkflowsCopy({ edits: [{ file, from, to }] }), histories);
  expect(results.filter((r) => r.error).map((r) => r.name).sort()).toEqual(recording.sort());
  for (const { error } of results.filter((r) => r.error)) expect(error!.name).toBe('DeterminismViolationError');
});
