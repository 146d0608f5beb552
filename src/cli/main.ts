// `steward`: the command-line entry point. Commands live in ./commands, one file per noun. The development
// commands (`steward dev …`) are not here: dev-server/cli adds them, so the shipped CLI carries no dev stack.
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit';
import { registerApprovalCommands } from './commands/approvals';
import { registerApprovalsGatewayCommand } from './commands/approvals-gateway';
import { registerCodecServerCommand } from './commands/codec-server';
import { registerDefinitionCommands } from './commands/definitions';
import { registerFederationCommands } from './commands/federation';
import { registerKeyCommands } from './commands/keys';
import { registerPiiCommands } from './commands/pii';
import { registerRunCommands } from './commands/run';
import { registerRunsCommands } from './commands/runs';
import { registerSecretsCommands } from './commands/secrets';
import { registerTenantCommands, type TenantCreatedHook } from './commands/tenant';
import { registerWorkerCommand } from './commands/worker';
import { describeError, EXIT_BAD_INPUT, exitCodeFor } from './errors';

/** What an environment adds to the CLI: more commands, and work after a tenant is created. */
export interface CliExtensions {
  readonly commands?: readonly ((program: Command) => void)[];
  readonly onTenantCreated?: TenantCreatedHook;
}

export function createProgram(extensions: CliExtensions = {}): Command {
  const program = new Command('steward')
    .description('Durable, secure agent workflows on Temporal')
    .showHelpAfterError()
    .exitOverride();
  for (const register of extensions.commands ?? []) register(program);
  registerWorkerCommand(program);
  registerDefinitionCommands(program);
  registerTenantCommands(program, extensions.onTenantCreated);
  registerRunCommands(program);
  registerRunsCommands(program);
  registerApprovalCommands(program);
  registerApprovalsGatewayCommand(program);
  registerCodecServerCommand(program);
  registerFederationCommands(program);
  registerPiiCommands(program);
  registerSecretsCommands(program);
  registerKeyCommands(program);
  registerAuditCommands(program);
  return program;
}

export async function main(argv: string[], extensions: CliExtensions = {}): Promise<number> {
  try {
    await createProgram(extensions).parseAsync(argv);
    // A command that reports a state (e.g. `dev status`) sets the exit code rather than throwing.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    process.stderr.write(`steward: ${describeError(error)}\n`);
    return exitCodeFor(error);
  }
}

