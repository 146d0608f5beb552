// Activities: everything non-deterministic a run does. Built per tenant by a factory, so an activity can only
// ever touch the data (rows, secrets, identity checks) of the namespace whose worker runs it.
import type { Pool } from 'pg';
import type { CheckpointSigner } from '../src/audit/checkpoint-signer';
import type { TenantKeyring } from '../src/codec/keys/keyring';
import type { SubjectKeyVault } from '../src/codec/pii-vault/subject-key-vault';
import type { DeploymentEgress } from '../src/egress/tenant-egress';
import type { Scrubber, SecretResolver } from '../src/secrets';
import type { TenantId } from '../src/tenancy/tenant-id';
import { createA2aActivities } from './a2a';
import type { RunMetrics } from '../src/telemetry/run-metrics';
import { createRecordApproval, createRecordRefusedSignal, createVerifyApproval } from './approval';
import { createAdoptUserToken } from './delegation';
import { createCallLlm, createRecordLlmEvent } from './llm';
import { createPrepareRun } from './prepare-run';
import { createPurgeExpiredAuditEntries, createPurgeExpiredLedgerRows, createPurgeExpiredPii, createPurgeExpiredUserTokens } from './retention';
import { createRunTool, type RegisteredTool } from './tool';

export interface ActivityDeps {
  pool: Pool;
  tenant: TenantId;
  /** Verifies user and approver tokens; without it every approval is refused. */
  identity?: { issuer: string; audience: string; jwksUrl: string };
  /** The tenant's keys: open sealed user tokens (and, in the codec, payloads). */
  keyring?: TenantKeyring;
  /** The tenant's PII subject keys in Vault: the retention purge destroys those left with no entry. */
  piiSubjectKeys: SubjectKeyVault;
  /** The tenant's PII HMAC key (prompt hashes). */
  piiHmacKey?: Uint8Array;
  secrets?: SecretResolver;
  scrubber?: Scrubber;
  tools?: Record<string, RegisteredTool>;
  llmBaseUrls?: { openai?: string; anthropic?: string };
  /** How long a run waits out a dependency's outage at one step (STEWARD_DEPENDENCY_WAIT); fixed for a run when it starts. */
  dependencyWaitMs?: number;
  /** What tool calls of every tenant may and may not reach, beside each tenant's own `egress.allow`. */
  egress?: DeploymentEgress;
  /** Signs audit checkpoints and purge markers with the tenant's Vault key; without it audit entries are never purged. */
  auditSigner?: CheckpointSigner;
  /** The worker's metrics (model tokens and cost); none are counted without it. */
  metrics?: RunMetrics;
}

export function createActivities(deps: ActivityDeps) {
  return {
    prepareRun: createPrepareRun(deps),
    runTool: createRunTool(deps),
    ...createA2aActivities(deps),
    callLlm: createCallLlm({ ...deps, defaultBaseUrls: deps.llmBaseUrls }),
    recordLlmEvent: createRecordLlmEvent(deps),
    verifyApproval: createVerifyApproval(deps),
    recordApproval: createRecordApproval(deps),
    recordRefusedSignal: createRecordRefusedSignal(deps),
    adoptUserToken: createAdoptUserToken(deps),
    purgeExpiredPii: createPurgeExpiredPii(deps),
    purgeExpiredAuditEntries: createPurgeExpiredAuditEntries(deps),
    purgeExpiredLedgerRows: createPurgeExpiredLedgerRows(deps),
    purgeExpiredUserTokens: createPurgeExpiredUserTokens(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
