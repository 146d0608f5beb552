// `steward runs list|show|trace|cancel`: operate a tenant's runs. Lists come from Temporal's visibility in the
// tenant's namespace; a run of another tenant is simply not found. `show` and `trace` decode through the tenant's
// codec and mask PII unless `--token` verifies for the tenant with `pii:read`.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { StewardClient, RUN_VIEW_STATUSES, type RunDetails, type RunSummary, type RunTrace, type RunViewer, type RunViewStatus, type TraceEntry } from '../../client';
import { parseDuration } from '../../ir/duration';
import { EXIT_FAILURE, UsageError } from '../errors';
import { describeFailure } from './run';

interface ListOptions {
  tenant: string;
  status?: string;
  definition?: string;
  user?: string;
  since?: string;
  until?: string;
  limit: string;
  json?: boolean;
}

interface ViewOptions {
  tenant: string;
  token?: string;
  json?: boolean;
}

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description("a tenant's runs: list, show, trace, cancel");

  runs
    .command('list')
    .description('runs of the tenant, newest first')
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--status <status>', RUN_VIEW_STATUSES.join(' | '))
    .option('--definition <id>', 'runs of this definition')
    .option('--user <subject>', 'runs this user started (their verified token)')
    .option('--since <time>', 'started at or after: an ISO time, or a duration ago (24h, 7d)')
    .option('--until <time>', 'started at or before: an ISO time, or a duration ago')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print a JSON array')
    .action(async (options: ListOptions) => {
      const filter = {
        ...(options.status !== undefined ? { status: runStatus(options.status) } : {}),
        ...(options.definition !== undefined ? { definition: options.definition } : {}),
        ...(options.user !== undefined ? { user: options.user } : {}),
        ...(options.since !== undefined ? { since: pointInTime('--since', options.since) } : {}),
        ...(options.until !== undefined ? { until: pointInTime('--until', options.until) } : {}),
        limit: positiveCount('--limit', options.limit),
      };
      await withClient(options.tenant, async (client) => {
        const found = await client.listRuns(filter);
        if (options.json) process.stdout.write(JSON.stringify(found) + '\n');
        else for (const run of found) process.stdout.write(summaryLine(run) + '\n');
      });
    });

  runs
    .command('show')
    .description("a run's status, definition, user, current node, path, waits, input, output and failure")
    .argument('<run>', 'the run (workflow id)')
    .requiredOption('--tenant <id>', 'the tenant the run belongs to')
    .option('--token <jwt|->', "the viewer's token ('-' reads stdin): with pii:read, PII shows in clear")
    .option('--json', 'print one JSON object')
    .action(async (workflowId: string, options: ViewOptions) => {
      await withClient(options.tenant, async (client) => {
        const run = await client.showRun(workflowId, viewerOf(options.token));
        process.stdout.write(options.json ? JSON.stringify(run) + '\n' : describeRun(run));
      });
    });

  runs
    .command('trace')
    .description('what a run did, in time order: steps, model calls, tool calls, approvals, delegation')
    .argument('<run>', 'the run (workflow id)')
    .requiredOption('--tenant <id>', 'the tenant the run belongs to')
    .option('--token <jwt|->', "the viewer's token ('-' reads stdin): with pii:read, failure messages show PII in clear")
    .option('--json', 'print one JSON object')
    .action(async (workflowId: string, options: ViewOptions) => {
      await withClient(options.tenant, async (client) => {
        const trace = await client.traceRun(workflowId, viewerOf(options.token));
        process.stdout.write(options.json ? JSON.stringify(trace) + '\n' : describeTrace(trace));
      });
    });

  runs
    .command('cancel')
    .description('cancel a running run (Temporal cancellation); recorded in the audit trail')
    .argument('<run>', 'the run (workflow id)')
    .requiredOption('--tenant <id>', 'the tenant the run belongs to')
    .option('--json', 'print one JSON object')
    .action(async (workflowId: string, options: { tenant: string; json?: boolean }) => {
      await withClient(options.tenant, async (client) => {
        const outcome = await client.cancelRun(workflowId);
        if (options.json) process.stdout.write(JSON.stringify(outcome) + '\n');
        else if (outcome.requested) process.stdout.write(`cancellation requested for ${workflowId}; status: ${outcome.status}\n`);
        if (!outcome.requested) {
          process.stderr.write(`steward: run ${workflowId} has already ended (${outcome.status}): nothing to cancel\n`);
          process.exitCode = EXIT_FAILURE;
        }
      });
    });
}

async function withClient(tenant: string, work: (client: StewardClient) => Promise<void>): Promise<void> {
  const client = await StewardClient.connect({ tenant });
  try {
    await work(client);
  } finally {
    await client.close();
  }
}

function runStatus(value: string): RunViewStatus {
  if (!(RUN_VIEW_STATUSES as readonly string[]).includes(value)) throw new UsageError(`--status: one of ${RUN_VIEW_STATUSES.join(', ')}`);
  return value as RunViewStatus;
}

/** An ISO time, or a duration before now (`24h`). */
function pointInTime(flag: string, value: string): Date {
  if (/^\d+(ms|s|m|h|d)/.test(value)) {
    try {
      return new Date(Date.now() - parseDuration(value));
    } catch {
      throw new UsageError(`${flag}: not a duration (30m, 24h, 7d)`);
    }
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new UsageError(`${flag}: an ISO time (2026-01-31T09:00:00Z) or a duration ago (24h)`);
  return at;
}

function positiveCount(flag: string, value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new UsageError(`${flag}: a whole number from 1 to 10000`);
  return count;
}

function viewerOf(token: string | undefined): RunViewer {
  const text = token === '-' ? readFileSync(0, 'utf8').trim() : token;
  return text ? { viewerToken: text } : {};
}

const orDash = (value: unknown) => (value === null || value === undefined || value === '' ? '—' : String(value));

function summaryLine(run: RunSummary): string {
  const definition = run.definition ? `${run.definition}${run.version ? ` v${run.version}` : ''}` : '—';
  return [run.workflowId, run.status, definition, orDash(run.user), run.startedAt.toISOString(), orDash(run.closedAt?.toISOString())].join('\t');
}

function describeRun(run: RunDetails): string {
  const lines = [
    `run ${run.workflowId} (${run.runId}) in namespace ${run.namespace}`,
    `status:     ${run.status}`,
    `definition: ${orDash(run.definition)}${run.version ? ` v${run.version}` : ''}`,
    `user:       ${orDash(run.user)}`,
    `started:    ${run.startedAt.toISOString()}${run.closedAt ? `   closed: ${run.closedAt.toISOString()}` : ''}`,
    `current:    ${run.current === null ? '(unknown: no worker answered)' : orDash(run.current.join(', '))}`,
    `path:       ${run.path === null ? '(unknown)' : orDash(run.path.join(' → '))}`,
  ];
  for (const wait of run.pending) lines.push(`waiting:    ${wait.kind} at ${wait.node}${wait.signal ? ` for ${wait.signal}` : ''}${wait.until ? ` until ${wait.until}` : ''}`);
  for (const approval of run.approvals) {
    lines.push(`approval:   ${approval.node}: ${approval.decisions}/${approval.required}${approval.message ? ` — ${approval.message}` : ''}${approval.reason ? ` — ${approval.reason}` : ''}`);
  }
  if (run.error) lines.push(`error:      ${describeFailure(run.error)}`);
  lines.push(`input:      ${JSON.stringify(run.input)}`);
  if (run.status === 'completed') lines.push(`output:     ${JSON.stringify(run.output)}`);
  lines.push(`pii:        ${run.pii === 'revealed' ? 'shown (the viewer holds pii:read)' : 'masked (a --token with pii:read shows it)'}`);
  return lines.join('\n') + '\n';
}

function describeTrace(trace: RunTrace): string {
  const lines = [`run ${trace.workflowId} (${trace.runId})`];
  for (const entry of trace.entries) lines.push(`${entry.at.toISOString()}  ${traceLine(entry)}`);
  lines.push(`model calls: ${trace.llm.calls}, tokens ${trace.llm.promptTokens} in / ${trace.llm.completionTokens} out, cost $${trace.llm.costUsd.toFixed(6)}`);
  return lines.join('\n') + '\n';
}

function traceLine(entry: TraceEntry): string {
  switch (entry.kind) {
    case 'run':
      return `run ${entry.event}`;
    case 'step':
      return `step ${orDash(entry.node)} (${entry.activity}): ${entry.outcome} after ${entry.attempts} attempt(s)${entry.durationMs === null ? '' : `, ${entry.durationMs} ms`}${entry.error ? ` — ${describeFailure(entry.error)}` : ''}`;
    case 'llm':
      return `llm ${entry.node}: ${entry.provider}/${entry.model} ${entry.status}, ${entry.promptTokens}+${entry.completionTokens} tokens, $${entry.costUsd.toFixed(6)}`;
    case 'tool':
      return `tool ${orDash(entry.node)}: ${entry.method ?? ''} ${entry.host ?? ''} → ${orDash(entry.status)} (${entry.outcome})`;
    case 'approval':
      return `approval ${orDash(entry.node)}: ${entry.outcome} ${entry.decision ?? ''} by ${orDash(entry.by)}${entry.reason ? ` — ${entry.reason}` : ''}${entry.comment ? ` — "${entry.comment}"` : ''}`;
    case 'delegation':
      return `delegation ${orDash(entry.node)}: ${entry.event} ${entry.outcome}${entry.errorCode ? ` (${entry.errorCode})` : ''}`;
    case 'signal':
      return `signal ${entry.name}`;
    case 'security':
      return `security ${orDash(entry.node)}: ${entry.event}`;
  }
}
