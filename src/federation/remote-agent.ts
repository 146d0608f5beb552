// Calls another organisation's A2A agent (JSON-RPC, A2A 0.3) through the SDK's transport, over a fetch that goes
// through the tenant's egress policy, presents the agent's client certificate, trusts only the given CA for the
// server, and adds the bearer token. Errors name the host and the JSON-RPC code, never the token or a body.
import { Role, TaskState, type Task } from '@a2a-js/sdk';
import { LegacyJsonRpcTransport } from '@a2a-js/sdk/compat/v0_3/client';
import { StewardError } from '../errors';
import type { GuardedRequest } from '../egress/guarded-fetch';

export interface RemoteAgentCredentials {
  token: string;
  clientCertificate: string;
  clientKey: string;
  serverCa: string;
}

/** The one HTTP call the transport needs: a guarded fetch (egress policy, TLS material). */
export type RemoteFetch = (url: string, init: GuardedRequest) => Promise<Response>;

export type RemoteTaskState = 'submitted' | 'working' | 'completed' | 'failed' | 'canceled' | 'rejected' | 'input_required' | 'auth_required' | 'unknown';

export interface RemoteTask {
  taskId: string;
  state: RemoteTaskState;
  /** The data (or text) of the task's first artifact, once completed. */
  output?: unknown;
}

export const TERMINAL_STATES: ReadonlySet<RemoteTaskState> = new Set(['completed', 'failed', 'canceled', 'rejected']);

/** A refusal the remote side gave (401/403/404, or a JSON-RPC error): sending again will not help. */
export class RemoteAgentRefusedError extends Error {
  override readonly name = 'RemoteAgentRefusedError';
  constructor(
    readonly host: string,
    readonly status: number,
    readonly rpcCode: number | undefined,
  ) {
    super(`${host} refused the A2A call (HTTP ${status}${rpcCode !== undefined ? `, JSON-RPC ${rpcCode}` : ''})`);
  }
}

/** The remote agent could not be reached or failed (a 5xx, a timeout): Temporal retries the call. */
export class RemoteAgentUnavailableError extends Error {
  override readonly name = 'RemoteAgentUnavailableError';
}

export function createRemoteAgent(url: string, credentials: RemoteAgentCredentials, send: RemoteFetch, timeoutMs: number) {
  const host = new URL(url).host;
  let lastStatus = 0;
  const fetchImpl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const response = await send(String(input instanceof Request ? input.url : input), {
      method: init?.method ?? 'POST',
      headers: { ...headers, authorization: `Bearer ${credentials.token}` },
      body: typeof init?.body === 'string' ? init.body : undefined,
      signal: AbortSignal.timeout(timeoutMs),
      tls: { cert: credentials.clientCertificate, key: credentials.clientKey, ca: credentials.serverCa },
    });
    lastStatus = response.status;
    return response;
  };
  const transport = new LegacyJsonRpcTransport({ endpoint: url, fetchImpl: fetchImpl as typeof fetch });
  const call = async (work: () => Promise<Task>): Promise<RemoteTask> => {
    lastStatus = 0;
    try {
      return remoteTaskOf(await work());
    } catch (error) {
      if (error instanceof StewardError || error instanceof RemoteAgentRefusedError) throw error;
      const rpcCode = (error as { code?: unknown }).code;
      const refused = (lastStatus >= 400 && lastStatus < 500) || (lastStatus === 200 && typeof rpcCode === 'number');
      if (refused) throw new RemoteAgentRefusedError(host, lastStatus, typeof rpcCode === 'number' ? rpcCode : undefined);
      // Unreachable, a 5xx, a timeout: worth trying again. The cause is left out: it may quote the request.
      throw new RemoteAgentUnavailableError(`${host}: the A2A call failed (${lastStatus ? `HTTP ${lastStatus}` : (error as Error).name})`);
    }
  };
  return {
    /** Sends the message; the same messageId always names the same remote task. */
    send: (messageId: string, input: unknown) =>
      call(async () => {
        const result = await transport.sendMessage({
          tenant: '',
          message: {
            messageId,
            contextId: '',
            taskId: '',
            role: Role.ROLE_USER,
            parts: [{ content: { $case: 'data', value: input ?? {} }, metadata: undefined, filename: '', mediaType: 'application/json' }],
            metadata: undefined,
            extensions: [],
            referenceTaskIds: [],
          },
          configuration: undefined,
          metadata: undefined,
        });
        if (!('id' in result) || !('status' in result)) throw new StewardError('OUTPUT_INVALID', `${host}: the agent answered with a message, not a task`);
        return result as Task;
      }),
    get: (taskId: string) => call(() => transport.getTask({ tenant: '', id: taskId })),
    cancel: (taskId: string) => call(() => transport.cancelTask({ tenant: '', id: taskId, metadata: undefined })),
  };
}

const STATE_NAMES: Readonly<Partial<Record<TaskState, RemoteTaskState>>> = {
  [TaskState.TASK_STATE_SUBMITTED]: 'submitted',
  [TaskState.TASK_STATE_WORKING]: 'working',
  [TaskState.TASK_STATE_COMPLETED]: 'completed',
  [TaskState.TASK_STATE_FAILED]: 'failed',
  [TaskState.TASK_STATE_CANCELED]: 'canceled',
  [TaskState.TASK_STATE_REJECTED]: 'rejected',
  [TaskState.TASK_STATE_INPUT_REQUIRED]: 'input_required',
  [TaskState.TASK_STATE_AUTH_REQUIRED]: 'auth_required',
};

function remoteTaskOf(task: Task): RemoteTask {
  const state = STATE_NAMES[task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED] ?? 'unknown';
  const part = task.artifacts[0]?.parts[0]?.content;
  const output = part?.$case === 'data' || part?.$case === 'text' ? part.value : undefined;
  return { taskId: task.id, state, ...(state === 'completed' ? { output: output ?? null } : {}) };
}
