// `steward run`: register a definition file for a tenant and start a run of it, optionally waiting for its result.
import { WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { StewardClient } from '../../client';
import { EXIT_FAILURE } from '../errors';
import { readFileArgument, readJsonArgument } from '../input';
import { followProgress } from '../progress';

interface RunOptions {
  tenant: string;
  input: string;
  wait?: boolean;
  json?: boolean;
  progress?: boolean;
}

export function registerRunCommands(program: Command): void {
  program
    .command('run')
    .description('register FILE for the tenant and start a run of it')
    .argument('<file>', 'workflow definition (YAML or JSON)')
    .requiredOption('--tenant <id>', 'the tenant the run belongs to')
    .option('--input <json|@file>', 'run input as JSON, or @path to a JSON file', '{}')
    .option('--wait', 'wait for the run to finish and print its result')
    .option('--json', 'print one JSON object {run_id, workflow_id, namespace, status, result} on stdout')
    .option('--progress', 'with --wait, show each node as it runs (the default on a terminal)')
    .action(async (file: string, options: RunOptions) => {
      const source = readFileArgument('FILE', file);
      const input = readJsonArgument('--input', options.input);
      const client = await StewardClient.connect({ tenant: options.tenant });
      try {
        const { definition } = await client.register(source, file);
        const run = await client.start({ workflow: definition.id, version: definition.version, input });
        if (!options.json) {
          process.stdout.write(`run ${run.runId} (workflow ${run.workflowId}) started in namespace ${run.namespace}\n`);
          process.stdout.write(`web ui: ${run.uiUrl}\n`);
        }
        let result: unknown;
        let failure: string | undefined;
        if (options.wait) {
          const finished = run.result();
          const showProgress = !options.json && (options.progress ?? process.stdout.isTTY === true);
          if (showProgress) await followProgress(run, finished, (line) => process.stdout.write(line + '\n'));
          try {
            result = await finished;
          } catch (error) {
            if (!(error instanceof WorkflowFailedError)) throw error;
            failure = error.cause?.message ?? error.message;
          }
        }
        const status = await run.status();
        if (options.json) {
          const summary = { run_id: run.runId, workflow_id: run.workflowId, namespace: run.namespace, status, result: result ?? null };
          process.stdout.write(JSON.stringify(summary) + '\n');
        } else if (options.wait) {
          process.stdout.write(`status: ${status}\n${failure ? '' : `result: ${JSON.stringify(result, null, 2)}\n`}`);
        }
        if (failure) {
          process.stderr.write(`steward: run ${run.runId} failed: ${failure}\n`);
          process.exitCode = EXIT_FAILURE;
        }
      } finally {
        await client.close();
      }
    });
}
