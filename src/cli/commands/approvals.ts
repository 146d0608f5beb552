// `steward approve|reject RUN` and `steward approvals list`: human decisions from the command line. The token is
// the approver's own; the run verifies it and answers whether the decision counted.
import type { Command } from 'commander';
import { StewardClient, type PendingApproval } from '../../client';
import { EXIT_FAILURE } from '../errors';

interface DecisionOptions {
  tenant: string;
  token: string;
  comment?: string;
  node?: string;
}

export function registerApprovalCommands(program: Command): void {
  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} a run's pending approval (the run verifies the token and records the decision)`)
      .argument('<run>', 'the run (workflow id)')
      .requiredOption('--tenant <id>', 'the tenant the run belongs to')
      .requiredOption('--token <jwt>', "the approver's token from the identity provider")
      .option('--comment <text>', 'why')
      .option('--node <id>', 'the approval node, when several are waiting')
      .action(async (workflowId: string, options: DecisionOptions) => {
        const client = await StewardClient.connect({ tenant: options.tenant });
        try {
          const run = await client.getRun(workflowId);
          const request = { token: options.token, comment: options.comment, node: options.node };
          const answer = decision === 'approve' ? await run.approve(request) : await run.reject(request);
          if (answer.accepted) {
            process.stdout.write(`${decision === 'approve' ? 'approved' : 'rejected'} by ${answer.approver}\n`);
          } else {
            process.stderr.write(`steward: decision refused: ${answer.reason}\n`);
            process.exitCode = EXIT_FAILURE;
          }
        } finally {
          await client.close();
        }
      });
  }

  program
    .command('approvals')
    .description('approvals of a tenant')
    .command('list')
    .description('pending approvals across runs')
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--json', 'print JSON')
    .action(async (options: { tenant: string; json?: boolean }) => {
      const client = await StewardClient.connect({ tenant: options.tenant });
      try {
        const pending = await client.listPendingApprovals();
        if (options.json) process.stdout.write(JSON.stringify(pending) + '\n');
        else for (const p of pending) process.stdout.write(inboxLine(p) + '\n');
      } finally {
        await client.close();
      }
    });
}

/** One waiting decision: the run and node, what is asked (or why a delegation waits), who decides, the count, the deadline. */
function inboxLine(pending: PendingApproval): string {
  const approvers = [...pending.approvers.users, ...pending.approvers.groups.map((group) => `group:${group}`)].join(',');
  const what = pending.kind === 'delegation' ? `delegation refused: ${pending.reason ?? 'unknown'}` : (pending.message ?? '(no message)');
  return [
    pending.workflowId,
    pending.node,
    what,
    `approvers ${approvers}${pending.escalated ? ' (escalated)' : ''}`,
    `${pending.decisions}/${pending.required} decisions`,
    pending.deadline ? `until ${pending.deadline.toISOString()}` : 'no deadline',
    `since ${pending.since.toISOString()}`,
  ].join('\t');
}
