// Secret values for one activity call: only the names the call's templates use, resolved through the worker's
// chain for the activity's own tenant, and remembered by the scrubber so they can never leave the activity.
import { Context } from '@temporalio/activity';
import { StewardError } from '../src/errors';
import { secretNamesUsedBy } from '../src/ir/secret-usage';
import type { Scrubber, SecretResolver } from '../src/secrets';
import { runWithScrubOrigin, type ScrubOrigin } from '../src/secrets/scrub-origin';
import type { TenantId } from '../src/tenancy/tenant-id';

export interface SecretDeps {
  tenant: TenantId;
  secrets?: SecretResolver;
  scrubber?: Scrubber;
}

export async function resolveSecretsFor(deps: SecretDeps, value: unknown, references: Record<string, string>): Promise<Record<string, string>> {
  const names = secretNamesUsedBy(value);
  if (names.length === 0) return {};
  if (!deps.secrets) throw new StewardError('CONFIG_INVALID', `this worker has no secret backends configured (needed: ${names.join(', ')})`);
  const values = await deps.secrets.resolveSecrets(references, { tenant: deps.tenant }, names);
  for (const [name, secret] of Object.entries(values)) deps.scrubber?.remember(name, secret, deps.tenant);
  return values;
}

/** Runs an activity body so that nothing it returns, throws or logs carries a resolved secret value; a scrub is
 *  reported with the run, workflow and step (`step`, the node id) it happened in. */
export async function withScrubbing<T>(scrubber: Scrubber | undefined, step: string, work: () => Promise<T>): Promise<T> {
  if (!scrubber) return work();
  return runWithScrubOrigin(originOf(step), async () => {
    try {
      return scrubber.scrubJson(await work());
    } catch (error) {
      throw scrubber.scrubError(error);
    }
  });
}

function originOf(step: string): ScrubOrigin {
  try {
    const execution = Context.current().info.workflowExecution;
    return execution ? { run_id: execution.runId, workflow_id: execution.workflowId, step } : { step };
  } catch {
    return { step }; // called outside an activity (a test, a tool run in-process)
  }
}
