// Builds the workflow bundle once per process; every tenant's Worker shares it.
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../../workflows');

export async function createWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silentBundlerLogger });
}

const noop = () => undefined;
const silentBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
