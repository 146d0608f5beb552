// What every tenant's activities share in one worker process, built once from the validated configuration:
// identity settings, model server defaults, the secret chain with its scrubber, whose security events
// (a denied reference, a scrubbed value) go to the tenant's audit trail, the tenants' codec keyrings and PII codecs,
// and the audit signer, which also signs a checkpoint every STEWARD_AUDIT_CHECKPOINT_EVERY entries appended here.
import { recordAuditEvent } from '../audit/audit-log';
import { createCheckpointSigner } from '../audit/checkpoint-signer';
import { signCheckpointsPeriodically } from '../audit/periodic-checkpoints';
import { loadCodecConfig } from '../codec/config';
import { loadTenantPiiHmacKey } from '../codec/keys/pii-master-key';
import { subjectKeyVaultsFor } from '../codec/pii-vault/subject-key-vault';
import { parseDuration } from '../ir/duration';
import { deploymentServiceAddresses, resolveProtectedEndpoints } from '../egress/protected-endpoints';
import { loadConnectionOptions } from '../temporal/connection';
import type { Logger } from '../log/logger';
import type { StewardRuntime } from '../runtime/steward-runtime';
import { createScrubber, createSecretChain, loadSecretsConfig, type SecurityEvent } from '../secrets';
import { TenantId } from '../tenancy/tenant-id';
import type { SharedActivityDeps } from './tenant-worker';

export function createSharedActivityDeps(runtime: StewardRuntime, log: Pick<Logger, 'error'>): SharedActivityDeps {
  const { config, pool } = runtime;
  const onSecurityEvent = (event: SecurityEvent) => {
    const tenant = TenantId.safeParse(event.tenant);
    if (!tenant.success) return;
    // A scrub names its run, workflow and step as the trail's own columns, so it shows with the run's other events.
    const { type, tenant: _tenant, ...details } = event;
    const { run_id: runId, workflow_id: workflowId, step, ...payload } = details as typeof details & { run_id?: string; workflow_id?: string; step?: string };
    const where = { ...(runId ? { runId } : {}), ...(workflowId ? { workflowId } : {}), ...(step ? { step } : {}) };
    recordAuditEvent(pool, tenant.data, { type: `security.${type}`, ...where, payload }).catch((error: unknown) =>
      log.error({ err: error, event: type }, 'could not record a security event'),
    );
  };
  const scrubber = createScrubber({ onSecurityEvent });
  const codec = loadCodecConfig(config.secretsEnv);
  const auditSigner = createCheckpointSigner({ vault: codec.vault, mount: codec.transitMount });
  signCheckpointsPeriodically(pool, {
    signer: auditSigner,
    every: config.env.STEWARD_AUDIT_CHECKPOINT_EVERY,
    onError: (error, tenant) => log.error({ err: error, tenant }, 'could not sign a periodic audit checkpoint'),
  });
  const services = deploymentServiceAddresses(config, loadConnectionOptions(config.localTemporalAddress).address);
  let protectedEndpoints: ReturnType<typeof resolveProtectedEndpoints> | undefined;
  return {
    egress: {
      allow: config.env.STEWARD_EGRESS_ALLOW.split(',').filter((entry) => entry !== ''),
      protectedEndpoints: () => (protectedEndpoints ??= resolveProtectedEndpoints(services)),
    },
    identity: config.identity,
    dependencyWaitMs: parseDuration(config.env.STEWARD_DEPENDENCY_WAIT),
    llmBaseUrls: config.llmBaseUrls,
    secrets: createSecretChain(loadSecretsConfig(config.secretsEnv), { onSecurityEvent, scrubber }),
    scrubber,
    runtime,
    piiSubjectKeyVaults: subjectKeyVaultsFor(config),
    piiHmacKeys: (tenant) => loadTenantPiiHmacKey(config, tenant),
    auditSigner,
  };
}
