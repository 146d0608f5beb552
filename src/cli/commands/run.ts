// `steward run`: register a definition file for a tenant and start a run of it, optionally waiting for its result.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { StewardClient, type RunFailureReport } from '../../client';
import { loadRuntimeConfig } from '../../config/runtime';
import { SpanKind, withSpan } from '../../telemetry/spans';
import { startTracing } from '../../telemetry/tracing';
import { traceLink } from '../../telemetry/trace-link';
import { EXIT_FAILURE, UsageError } from '../errors';
import { readFileArgument, readJsonArgument } from '../input';
import { followProgress } from '../progress';

const CLI_SERVICE_NAME = 'steward-cli';

interface RunOptions {
  tenant: string;
  input: string;
  wait?: boolean;
  json?: boolean;
  progress?: boolean;
  userToken?: string;
}

export function registerRunCommands(program: Command): void {
  program
    .command('run')
    .description('register FILE for the tenant and start a run of it')
    .argument('<file>', 'workflow definition (YAML or JSON)')
    .requiredOption('--tenant <id>', 'the tenant the run belongs to')
    .option('--input <json|@file>', 'run input as JSON, or @path to a JSON file', '{}')
    .option('--wait', 'wait for the run to finish and print its result')
    .option('--json', 'print one JSON object {run_id, workflow_id, namespace, status, result, error} on stdout')
    .option('--progress', 'with --wait, show each node as it runs (the default on a terminal)')
    .option('--user-token <jwt|->', "the user the run acts for: their access token, or '-' to read it from stdin (else STEWARD_USER_TOKEN)")
    .action(async (file: string, options: RunOptions) => {
      const source = readFileArgument('FILE', file);
      const input = readJsonArgument('--input', options.input);
      const userToken = readUserToken(options.userToken);
      const config = loadRuntimeConfig();
      // With tracing configured the run's trace starts here: its id, known at once, links the run to its trace.
      const tracing = startTracing(CLI_SERVICE_NAME, { fallbackEndpoint: config.traces.otlpEndpoint });
      const client = await StewardClient.connect({ tenant: options.tenant, config });
      try {
        const { definition } = await client.register(source, file);
        const { run, traceId } = await withSpan('steward run', { kind: SpanKind.PRODUCER, attributes: { 'steward.tenant': options.tenant, 'steward.workflow': definition.id } }, async (span) => ({
          run: await client.start({ workflow: definition.id, version: definition.version, input, ...(userToken ? { userToken } : {}) }),
          traceId: tracing ? span.spanContext().traceId : undefined,
        }));
        const trace = traceId && config.traces.uiUrl ? traceLink(config.traces.uiUrl, traceId) : undefined;
        // Sent now: the span is the trace's root, and the CLI may wait long (or be stopped) before it exits.
        await tracing?.flush();
        if (!options.json) {
          process.stdout.write(`run ${run.runId} (workflow ${run.workflowId}) started in namespace ${run.namespace}\n`);
          process.stdout.write(`web ui: ${run.uiUrl}\n`);
          if (trace) process.stdout.write(`trace: ${trace}\n`);
        }
        let result: unknown;
        let failure: RunFailureReport | undefined;
        if (options.wait) {
          const finished = run.outcome();
          const showProgress = !options.json && (options.progress ?? process.stdout.isTTY === true);
          if (showProgress) await followProgress(run, finished, (line) => process.stdout.write(line + '\n'));
          const outcome = await finished;
          if (outcome.status === 'completed') result = outcome.result;
          else failure = outcome.error;
        }
        const status = await run.status();
        if (options.json) {
          const summary = { run_id: run.runId, workflow_id: run.workflowId, namespace: run.namespace, status, result: result ?? null, error: failure ?? null };
          process.stdout.write(JSON.stringify(summary) + '\n');
        } else if (options.wait) {
          process.stdout.write(`status: ${status}\n${failure ? '' : `result: ${JSON.stringify(result, null, 2)}\n`}`);
        }
        if (failure) {
          process.stderr.write(`steward: run ${run.runId} failed: ${describeFailure(failure)}\n`);
          process.exitCode = EXIT_FAILURE;
        }
      } finally {
        await client.close();
        await tracing?.shutdown();
      }
    });

  program
    .command('renew-token')
    .description("give a run waiting on a refused delegation a fresh token of its user (the run gets only a sealed handle)")
    .argument('<run>', 'the workflow id of the run')
    .requiredOption('--tenant <id>', 'the tenant the run belongs to')
    .requiredOption('--user-token <jwt|->', "the user's fresh access token, or '-' to read it from stdin")
    .action(async (workflowId: string, options: { tenant: string; userToken: string }) => {
      const token = readUserToken(options.userToken);
      if (!token) throw new UsageError('--user-token: a token is required');
      const client = await StewardClient.connect({ tenant: options.tenant });
      try {
        await (await client.getRun(workflowId)).renewUserToken(token);
        process.stdout.write(`sent a fresh user token to ${workflowId}; the run checks it is its own user's\n`);
      } finally {
        await client.close();
      }
    });
}

/** `SECRET_DENIED at node fetch: …`: the type to look up, the node to look at, then what happened. */
export function describeFailure(failure: RunFailureReport): string {
  return `${failure.type}${failure.node ? ` at node ${failure.node}` : ''}: ${failure.message}`;
}

/** A token from the flag, '-' for stdin (keeps it out of the process list), or STEWARD_USER_TOKEN. */
function readUserToken(flag: string | undefined): string | undefined {
  const text = flag === '-' ? readFileSync(0, 'utf8') : (flag ?? process.env.STEWARD_USER_TOKEN);
  const token = text?.trim();
  return token ? token : undefined;
}
