// Every tool call, reversible or not, as a `tool.call` entry of the tenant's audit trail: the node, the target host
// and method, the status it answered (or that it never answered), the attempt and the idempotency key, so anyone can
// show afterwards what was done, how often and under which key. Never a body, a header, a path or a query: those
// may hold rendered data, secrets or the user's token.
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../src/audit/audit-log';
import { redactText } from '../src/pii';
import type { TenantId } from '../src/tenancy/tenant-id';

export interface ToolCallAuditDeps {
  pool: Pool;
  tenant: TenantId;
  /** Keys the hash of any PII an idempotency key rendered from run data may hold. */
  piiHmacKey?: Uint8Array;
}

export interface AuditedToolCall {
  nodeId: string;
  tool: string;
  irreversible: boolean;
  idempotencyKey?: string | undefined;
  agent?: string | undefined;
  userId?: string | undefined;
}

/** What the call got to: filled in by the caller as soon as it knows (before the body is read). */
export interface ToolCallTarget {
  method?: string;
  host?: string;
  status?: number;
}

/** Runs the call and records it, answered or not. An entry that cannot be written fails the attempt (retried with the
 *  same idempotency key), so a call is never left out of the trail. */
export async function withToolCallAudit<T>(deps: ToolCallAuditDeps, call: AuditedToolCall, work: (target: ToolCallTarget) => Promise<T>): Promise<T> {
  const target: ToolCallTarget = {};
  const startedAt = Date.now();
  let result: T;
  try {
    result = await work(target);
  } catch (error) {
    await recordToolCall(deps, call, target, startedAt, error);
    throw error;
  }
  await recordToolCall(deps, call, target, startedAt, undefined);
  return result;
}

async function recordToolCall(deps: ToolCallAuditDeps, call: AuditedToolCall, target: ToolCallTarget, startedAt: number, error: unknown): Promise<void> {
  const info = Context.current().info;
  await recordAuditEvent(deps.pool, deps.tenant, {
    type: 'tool.call',
    workflowId: info.workflowExecution?.workflowId,
    runId: info.workflowExecution?.runId,
    step: call.nodeId,
    attempt: info.attempt,
    userId: call.userId,
    agentId: call.agent,
    payload: {
      tool: call.tool,
      irreversible: call.irreversible,
      ...(target.method ? { method: target.method } : {}),
      ...(target.host ? { host: target.host } : {}),
      // null: the call was sent (or was about to be) but no answer came back.
      status: target.status ?? null,
      outcome: error === undefined ? 'ok' : 'error',
      ...(error !== undefined ? { error_type: errorType(error) } : {}),
      ...(call.idempotencyKey ? { idempotency_key: redactKey(call.idempotencyKey, deps.piiHmacKey) } : {}),
      duration_ms: Date.now() - startedAt,
    },
  });
}

function redactKey(key: string, hmacKey: Uint8Array | undefined): string {
  return redactText(key, hmacKey ? { mode: 'hash', hmacKey } : { mode: 'mask' });
}

/** The failure's type or error name: never its message, which may quote what the target answered. */
function errorType(error: unknown): string {
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && type.length > 0) return type;
  return error instanceof Error ? error.name : 'unknown';
}
