// The `tool` node: an HTTP call (or a tool registered on the worker), rendered here so that secret templates
// are filled in only inside the activity. 5xx and 429 are retried by Temporal; other 4xx are final, except a 401
// to a call made for a user, which is a refused delegation the user can fix with a fresh token.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { readBoundedText } from '../src/common/read-bounded-text';
import { renderTemplate, type ExpressionScope } from '../src/ir/expressions';
import { OAuthError } from '../src/identity';
import type { UserTokenHandle } from '../src/identity/user-token-store';
import type { HttpRequest, OAuthClient, ToolNode } from '../src/ir/schema';
import { isStewardError } from '../src/errors';
import { SpanKind, withSpan } from '../src/telemetry/spans';
import { authorizeStep, type DelegationDeps, type StepAuthorization } from './delegation';
import { createGuardedFetch, type EgressDeps, type GuardedFetch } from './egress';
import { resolveSecretsFor, withScrubbing } from './secrets';
import { withFailureMapping } from './failures';
import { withHeartbeats } from './heartbeat';
import { withToolCallAudit, type ToolCallAuditDeps, type ToolCallTarget } from './tool-call-audit';

export interface ToolCallRequest {
  nodeId: string;
  node: ToolNode;
  scope: ExpressionScope;
  /** The definition's `secrets` map (name → reference). */
  secretReferences: Record<string, string>;
  /** Sent as the Idempotency-Key header, stable across retries of the same step. */
  idempotencyKey?: string;
  /** The definition acting: the agent of every audit entry. */
  agent?: string;
  /** The run's user, for steps with `oauth_scopes`: their token is read from the handle inside this activity. */
  user?: UserTokenHandle | undefined;
  /** Temporal's root of the run when it is a child run, for steps with `oauth_scopes` (see `DelegatedStep`). */
  rootWorkflowId?: string | undefined;
  /** The definition's OAuth client, for steps with `oauth_scopes`. */
  oauth?: OAuthClient | undefined;
  /** The run waits out a dependency's outage, so this call reports one as DEPENDENCY_UNAVAILABLE. */
  waitsOutOutages?: boolean;
}

export interface ToolCallResult {
  status: number;
  body: unknown;
}

export type RegisteredTool = (input: unknown) => Promise<unknown>;

export interface ToolDeps extends DelegationDeps, EgressDeps, ToolCallAuditDeps {
  tools?: Record<string, RegisteredTool>;
  httpTimeoutMs?: number;
  /** A tool's HTTP response larger than this fails the step (LIMIT_EXCEEDED); default MAX_TOOL_RESPONSE_BYTES. */
  maxResponseBytes?: number;
}

/** Results travel through Temporal history, which refuses payloads past 2 MB. */
export const MAX_TOOL_RESPONSE_BYTES = 2_000_000;

export function createRunTool(deps: ToolDeps) {
  const guardedFetch = createGuardedFetch(deps);
  return async function runTool(call: ToolCallRequest): Promise<ToolCallResult> {
    const audited = { nodeId: call.nodeId, tool: call.node.tool, irreversible: call.node.irreversible === true, idempotencyKey: call.idempotencyKey, agent: call.agent, userId: call.user?.subject };
    return withHeartbeats(() =>
      withFailureMapping(() =>
        withScrubbing(deps.scrubber, call.nodeId, () =>
          withToolCallAudit(deps, audited, async (target) => {
            if (call.node.tool !== 'http') return runRegisteredTool(deps, call);
            const secrets = await resolveSecretsFor(deps, call.node.request, call.secretReferences);
            const request = renderTemplate(call.node.request, { ...call.scope, secrets }) as HttpRequest;
            const delegation = await delegatedAuthorization(deps, call);
            if (delegation) request.headers = { ...request.headers, Authorization: delegation.header };
            return sendHttp(guardedFetch, call, request, { timeoutMs: deps.httpTimeoutMs ?? 30_000, maxBytes: deps.maxResponseBytes ?? MAX_TOOL_RESPONSE_BYTES }, delegation, target);
          }),
        ),
        { waitsOutOutages: call.waitsOutOutages },
      ),
    );
  };
}

/** The exchanged token for a step with `oauth_scopes`; a refused delegation fails the step for good, typed. */
async function delegatedAuthorization(deps: ToolDeps, call: ToolCallRequest): Promise<StepAuthorization | undefined> {
  const scopes = call.node.oauth_scopes;
  if (!scopes) return undefined;
  if (!call.oauth) {
    throw ApplicationFailure.create({ type: 'DEFINITION_INVALID', message: `nodes.${call.nodeId}: oauth_scopes needs the definition's oauth client`, nonRetryable: true });
  }
  try {
    return await authorizeStep(deps, {
      nodeId: call.nodeId,
      agent: call.agent ?? 'unknown',
      user: call.user,
      rootWorkflowId: call.rootWorkflowId,
      oauth: call.oauth,
      scopes,
      secretReferences: call.secretReferences,
    });
  } catch (error) {
    if (!(error instanceof OAuthError) || error.retryable) throw error;
    throw oauthFailure(error);
  }
}

/** The workflow reads `oauth_error` to tell a refusal the user can fix (it escalates) from one they cannot. */
function oauthFailure(error: OAuthError): ApplicationFailure {
  return ApplicationFailure.create({ type: 'OAUTH_ERROR', message: error.message, nonRetryable: true, details: [{ oauth_error: error.oauthCode }] });
}

async function runRegisteredTool(deps: ToolDeps, call: ToolCallRequest): Promise<ToolCallResult> {
  const tool = deps.tools?.[call.node.tool];
  if (!tool) {
    throw ApplicationFailure.create({ type: 'TOOL_NOT_REGISTERED', message: `nodes.${call.nodeId}: tool ${call.node.tool} is not registered on this worker`, nonRetryable: true });
  }
  return { status: 200, body: await tool(renderTemplate(call.node.input ?? null, call.scope)) };
}

async function sendHttp(
  guardedFetch: GuardedFetch,
  call: ToolCallRequest,
  request: HttpRequest,
  { timeoutMs, maxBytes }: { timeoutMs: number; maxBytes: number },
  delegation: StepAuthorization | undefined,
  target: ToolCallTarget,
): Promise<ToolCallResult> {
  const url = new URL(request.url);
  const headers: Record<string, string> = { ...request.headers };
  if (call.idempotencyKey) headers['Idempotency-Key'] = call.idempotencyKey;
  let body: string | undefined;
  if (request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD') {
    body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    headers['Content-Type'] ??= typeof request.body === 'string' ? 'text/plain' : 'application/json';
  }
  const signal = AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(timeoutMs)]);
  // Only the host is named in errors: paths and queries may carry rendered data.
  const where = `nodes.${call.nodeId}: ${request.method} ${url.host}`;
  await target.sending(request.method, url.host);
  // The span names the method, host and status only: the path, query and bodies may carry rendered data.
  const response = await withSpan(`HTTP ${request.method}`, { kind: SpanKind.CLIENT, attributes: httpSpanAttributes(request.method, url) }, async (span) => {
    try {
      const answered = await guardedFetch(url.href, { method: request.method, headers, body, signal }, call.nodeId);
      span.setAttribute('http.response.status_code', answered.status);
      target.answered(answered.status);
      return answered;
    } catch (error) {
      if (isStewardError(error, 'EGRESS_DENIED')) throw error;
      // The cause is left out on purpose: network errors can quote the full URL, and the URL may carry rendered data.
      throw ApplicationFailure.retryable(`${where} failed (${(error as Error).name})`, 'TOOL_UNREACHABLE');
    }
  });
  const text = await readBoundedText(response, maxBytes, where);
  const parsed = (response.headers.get('content-type') ?? '').includes('json') ? safeJson(text) : text;
  // Worth retrying, under the step's retry policy; once its attempts are spent the run reads why.
  if (response.status >= 500 || response.status === 429) throw ApplicationFailure.retryable(`${where} answered ${response.status}`, 'TOOL_HTTP_ERROR', { status: response.status });
  // Without introspection a revoked grant shows only here, as the target's 401 to the token made for the user.
  if (response.status === 401 && delegation) throw oauthFailure(await delegation.refusedByTarget(`${request.method} ${url.host}`));
  if (response.status >= 400) {
    throw ApplicationFailure.create({ type: 'TOOL_HTTP_ERROR', message: `${where} answered ${response.status}`, nonRetryable: true, details: [{ status: response.status }] });
  }
  return { status: response.status, body: parsed };
}

function httpSpanAttributes(method: string, url: URL): Record<string, string | number> {
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { 'http.request.method': method, 'server.address': url.hostname, 'server.port': port };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
