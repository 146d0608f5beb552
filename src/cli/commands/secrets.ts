// `steward secrets check FILE --tenant T`: which of a definition's secret references resolve for a tenant through
// the configured chain. Prints names and outcomes only; a resolved value never leaves this process.
import type { Command } from 'commander';
import { isStewardError, type ErrorCode } from '../../errors';
import { formatIssue, parseDefinition } from '../../ir/parse';
import { loadSecretsConfig } from '../../secrets/config';
import { createSecretChain } from '../../secrets/create-chain';
import type { SecretResolver } from '../../secrets/resolver';
import { assertTenantId } from '../../tenancy/tenant-id';
import { EXIT_FAILURE, UsageError } from '../errors';
import { readFileArgument } from '../input';

export type SecretCheckStatus = 'resolves' | 'not_found' | 'denied' | 'error';

export interface SecretCheck {
  name: string;
  status: SecretCheckStatus;
  /** The backend that answered, when the secret resolves. */
  backend?: string;
  /** Why not, when it does not: an error code and a message that names no value. */
  code?: ErrorCode;
  reason?: string;
}

function statusFor(code: ErrorCode): SecretCheckStatus {
  if (code === 'SECRET_NOT_FOUND') return 'not_found';
  if (code === 'SECRET_DENIED') return 'denied';
  return 'error';
}

/** Resolves each entry of `secrets` for the tenant and reports the outcome, keeping the values to itself. */
export async function checkSecrets(resolver: SecretResolver, secrets: Record<string, string>, tenant: string): Promise<SecretCheck[]> {
  const checks: SecretCheck[] = [];
  for (const [name, reference] of Object.entries(secrets)) {
    try {
      const { backend } = await resolver.resolveSecret(name, reference, { tenant });
      checks.push({ name, status: 'resolves', backend });
    } catch (error) {
      const code: ErrorCode = isStewardError(error) ? error.code : 'INTERNAL';
      const reason = isStewardError(error) ? error.message : 'unexpected failure';
      checks.push({ name, status: statusFor(code), code, reason });
    }
  }
  return checks;
}

function formatCheck(check: SecretCheck): string {
  if (check.status === 'resolves') return `${check.name}\tresolves (${check.backend})`;
  return `${check.name}\t${check.status.replace('_', ' ')}: ${check.reason}`;
}

export interface SecretsCommandOptions {
  /** Where the chain's configuration and `env:` secrets are read from; the process environment unless given. */
  env?: NodeJS.ProcessEnv;
}

export function registerSecretsCommands(program: Command, commandOptions: SecretsCommandOptions = {}): void {
  const secrets = program.command('secrets').description('secret references of workflow definitions');
  secrets
    .command('check')
    .description("report which of FILE's secret references resolve for the tenant (names only, never values)")
    .argument('<file>', 'workflow definition (YAML or JSON)')
    .requiredOption('--tenant <id>', 'the tenant whose secrets are checked')
    .option('--json', 'print one JSON object {tenant, secrets: [{name, status, backend?, code?, reason?}]}')
    .action(async (file: string, options: { tenant: string; json?: boolean }) => {
      const tenant = assertTenantId(options.tenant);
      const parsed = parseDefinition(readFileArgument('FILE', file), { filename: file });
      if (!parsed.ok) throw new UsageError(`FILE is not a valid definition:\n${parsed.issues.map(formatIssue).join('\n')}`);
      const env = commandOptions.env ?? process.env;
      const resolver = createSecretChain(loadSecretsConfig(env), { env });
      let checks: SecretCheck[];
      try {
        checks = await checkSecrets(resolver, parsed.definition.secrets, tenant);
      } finally {
        await resolver.close();
      }
      if (options.json) process.stdout.write(`${JSON.stringify({ tenant, secrets: checks })}\n`);
      else process.stdout.write(checks.length === 0 ? 'the definition declares no secrets\n' : `${checks.map(formatCheck).join('\n')}\n`);
      if (checks.some((check) => check.status !== 'resolves')) process.exitCode = EXIT_FAILURE;
    });
}
