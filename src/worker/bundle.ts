// Builds the workflow bundle once per process; every tenant's Worker shares it.
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../codec/data-converter';

export const WORKFLOWS_PATH = require.resolve('../../workflows');

export interface BundleOptions {
  /** Workflow interceptor modules to build in (the tracing interceptors, when tracing is on). */
  interceptorModules?: string[];
}

export async function createWorkflowBundle(options: BundleOptions = {}): Promise<WorkflowBundleWithSourceMap> {
  // Failures raised inside workflows are converted in the sandbox: it needs the converter that encodes them.
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    workflowInterceptorModules: options.interceptorModules,
    logger: silentBundlerLogger,
  });
}

const noop = () => undefined;
const silentBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
