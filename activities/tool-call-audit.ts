// Every tool call, reversible or not, as a `tool.call` entry of the tenant's audit trail: the node, the target host
// and method, the status it answered (or that it never answered), the attempt and the idempotency key, so anyone can
// show afterwards what was done, how often and under which key; an irreversible call is also recorded as
// `tool.call.sent` before it goes out. Never a body, a header, a path or a query: those
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

/** Told by the caller what the call got to. */
export interface ToolCallTarget {
  /** Right before the request goes out. For an irreversible call this writes a `tool.call.sent` entry first, so an
   *  attempt whose worker dies before the answer still shows in the trail. */
  sending(method: string, host: string): Promise<void>;
  /** As soon as the status is known (before the body is read). */
  answered(status: number): void;
}

interface Reached {
  method?: string;
  host?: string;
  status?: number;
}

/** Runs the call and records it, answered or not. An entry that cannot be written fails the attempt (retried with the
 *  same idempotency key), so a call is never left out of the trail. */
export async function withToolCallAudit<T>(deps: ToolCallAuditDeps, call: AuditedToolCall, work: (target: ToolCallTarget) => Promise<T>): Promise<T> {
  const reached: Reached = {};
  const startedAt = Date.now();
  const target: ToolCallTarget = {
    async sending(method, host) {
      Object.assign(reached, { method, host });
      if (call.irreversible) await recordToolCall(deps, call, reached, startedAt, 'sent');
    },
    answered(status) {
      reached.status = status;
    },
  };
  let result: T;
  try {
    result = await work(target);
  } catch (error) {
    await recordToolCall(deps, call, reached, startedAt, { error });
    throw error;
  }
  await recordToolCall(deps, call, reached, startedAt, 'ok');
  return result;
}

async function recordToolCall(deps: ToolCallAuditDeps, call: AuditedToolCall, target: Reached, startedAt: number, outcome: 'sent' | 'ok' | { error: unknown }): Promise<void> {
  const info = Context.current().info;
  const error = typeof outcome === 'object' ? outcome.error : undefined;
  await recordAuditEvent(deps.pool, deps.tenant, {
    type: outcome === 'sent' ? 'tool.call.sent' : 'tool.call',
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
      ...(outcome === 'sent'
        ? {}
        : {
            // null: no answer came back (or no request went out).
            status: target.status ?? null,
            outcome: error === undefined ? 'ok' : 'error',
            ...(error !== undefined ? { error_type: errorType(error) } : {}),
          }),
      ...(call.idempotencyKey ? { idempotency_key: redactKey(call.idempotencyKey, deps.piiHmacKey) } : {}),
      ...(outcome === 'sent' ? {} : { duration_ms: Date.now() - startedAt }),
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
