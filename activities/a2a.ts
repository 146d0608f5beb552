// The `a2a` node's calls to another organisation's agent: `sendA2aMessage` starts the remote task, `getA2aTask`
// reads it; the workflow waits between reads on a durable timer. The token, certificate and key are resolved here
// from the definition's secrets and never leave: results carry the task id, its state and its output only.
// A refusal by the remote side (401/403/404) is final; an unreachable or failing agent is retried by Temporal.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { recordAuditEvent } from '../src/audit/audit-log';
import { createRemoteAgent, RemoteAgentRefusedError, type RemoteTask } from '../src/federation/remote-agent';
import { renderTemplate, type ExpressionScope } from '../src/ir/expressions';
import type { A2aNode } from '../src/ir/schema';
import { createGuardedFetch, type EgressDeps } from './egress';
import { withFailureMapping } from './failures';
import { withHeartbeats } from './heartbeat';
import { resolveSecretsFor, withScrubbing, type SecretDeps } from './secrets';

export interface A2aCall {
  nodeId: string;
  node: A2aNode;
  scope: ExpressionScope;
  /** The definition's `secrets` map (name → reference). */
  secretReferences: Record<string, string>;
  /** The definition acting: the agent of every audit entry. */
  agent?: string;
}

export type A2aDeps = EgressDeps & SecretDeps & { a2aTimeoutMs?: number };

const CREDENTIAL_FIELDS = ['agent_url', 'token', 'client_certificate', 'client_key', 'server_ca'] as const;

export function createA2aActivities(deps: A2aDeps) {
  const guardedFetch = createGuardedFetch(deps);
  const remoteFor = async (call: A2aCall) => {
    const fields = Object.fromEntries(CREDENTIAL_FIELDS.map((field) => [field, call.node[field]]));
    const secrets = await resolveSecretsFor(deps, fields, call.secretReferences);
    const rendered = renderTemplate(fields, { ...call.scope, secrets }) as Record<(typeof CREDENTIAL_FIELDS)[number], unknown>;
    const url = String(rendered.agent_url);
    const remote = createRemoteAgent(
      url,
      { token: String(rendered.token), clientCertificate: String(rendered.client_certificate), clientKey: String(rendered.client_key), serverCa: String(rendered.server_ca) },
      (target, init) => guardedFetch(target, init, call.nodeId),
      deps.a2aTimeoutMs ?? 30_000,
    );
    return { remote, host: new URL(url).host };
  };
  const run = (call: A2aCall, method: string, work: (remote: Awaited<ReturnType<typeof remoteFor>>['remote']) => Promise<RemoteTask>) =>
    withHeartbeats(() =>
      withFailureMapping(() =>
        withScrubbing(deps.scrubber, call.nodeId, async () => {
          const { remote, host } = await remoteFor(call);
          const { workflowId, runId } = Context.current().info.workflowExecution ?? {};
          const audit = (payload: Record<string, unknown>) =>
            recordAuditEvent(deps.pool, deps.tenant, { type: 'federation.outbound', workflowId, runId, step: call.nodeId, attempt: Context.current().info.attempt, agentId: call.agent, payload: { host, method, ...payload } });
          try {
            const task = await work(remote);
            await audit({ task_id: task.taskId, state: task.state });
            return task;
          } catch (error) {
            if (!(error instanceof RemoteAgentRefusedError)) throw error;
            await audit({ outcome: 'refused', status: error.status, ...(error.rpcCode !== undefined ? { rpc_code: error.rpcCode } : {}) });
            throw ApplicationFailure.create({ type: 'REMOTE_AGENT_REFUSED', message: `nodes.${call.nodeId}: ${error.message}`, nonRetryable: true, details: [{ status: error.status }] });
          }
        }),
      ),
    );
  return {
    /** Starts the remote task; `messageId` is stable across retries, so a retried send names the same task. */
    sendA2aMessage: (call: A2aCall & { messageId: string }) =>
      run(call, 'message/send', (remote) => remote.send(call.messageId, call.node.input === undefined ? {} : renderTemplate(call.node.input, call.scope))),
    getA2aTask: (call: A2aCall & { taskId: string }) => run(call, 'tasks/get', (remote) => remote.get(call.taskId)),
  };
}
