// The worker's side of the runEvents sink: each call from a run becomes a metric labelled with the Worker's tenant.
// Sinks run outside the sandbox and are skipped during replay, so every run is counted once.
import type { InjectedSinks } from '@temporalio/worker';
import type { RunSinks } from '../contract/run-sinks';
import type { RunMetrics } from '../telemetry/run-metrics';
import type { TenantId } from '../tenancy/tenant-id';

export function createRunEventsSinks(tenant: TenantId, metrics: RunMetrics): InjectedSinks<RunSinks> {
  return {
    runEvents: {
      started: { fn: (_info, workflow) => metrics.runStarted({ tenant, workflow }) },
      ended: { fn: (_info, workflow, outcome) => metrics.runEnded({ tenant, workflow }, outcome) },
      approvalDecided: { fn: (_info, workflow, outcome, waitedMs) => metrics.approvalDecided({ tenant, workflow, outcome }, waitedMs) },
    },
  };
}
