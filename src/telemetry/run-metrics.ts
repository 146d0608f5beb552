// Steward's metrics: runs started, completed and failed, model tokens and cost, approval wait time, each labelled by
// tenant and workflow (the definition's id). Labels are ids only, never run data. Without a meter provider the
// instruments are no-ops.
import { metrics, type Attributes } from '@opentelemetry/api';

const METER = 'steward';

export interface RunLabels {
  tenant: string;
  workflow: string;
}

export type RunOutcome = 'completed' | 'failed';

export interface RunMetrics {
  runStarted(labels: RunLabels): void;
  runEnded(labels: RunLabels, outcome: RunOutcome): void;
  llmCall(labels: RunLabels & { model: string }, usage: { inputTokens: number; outputTokens: number; costUsd: number }): void;
  approvalDecided(labels: RunLabels & { outcome: string }, waitedMs: number): void;
}

/** The instruments, made once per process from the global meter provider (set by startMetrics). */
export function createRunMetrics(): RunMetrics {
  const meter = metrics.getMeter(METER);
  const started = meter.createCounter('steward.runs.started', { description: 'Runs started' });
  const completed = meter.createCounter('steward.runs.completed', { description: 'Runs that completed' });
  const failed = meter.createCounter('steward.runs.failed', { description: 'Runs that failed or were cancelled' });
  const tokens = meter.createCounter('steward.llm.tokens', { description: 'Model tokens used, by type (input, output)' });
  const cost = meter.createCounter('steward.llm.cost', { unit: 'USD', description: 'Model cost, as priced by the ledger' });
  const approvalWait = meter.createHistogram('steward.approval.wait', {
    unit: 's',
    description: 'Time from an approval request to its decision',
    advice: { explicitBucketBoundaries: [1, 10, 60, 300, 900, 3600, 14_400, 86_400, 259_200] },
  });
  const base = ({ tenant, workflow }: RunLabels): Attributes => ({ tenant, workflow });
  return {
    runStarted: (labels) => started.add(1, base(labels)),
    runEnded: (labels, outcome) => (outcome === 'completed' ? completed : failed).add(1, base(labels)),
    llmCall: (labels, usage) => {
      const attributes = { ...base(labels), model: labels.model };
      tokens.add(usage.inputTokens, { ...attributes, type: 'input' });
      tokens.add(usage.outputTokens, { ...attributes, type: 'output' });
      cost.add(usage.costUsd, attributes);
    },
    approvalDecided: (labels, waitedMs) => approvalWait.record(waitedMs / 1000, { ...base(labels), outcome: labels.outcome }),
  };
}
