// A2A requests of one authenticated caller, mapped onto Steward runs of one exposed definition: `message/send`
// starts an ordinary run (the message's data part, or its text, as input), `tasks/get` reads the run, `tasks/cancel`
// cancels it. A task id is the run's workflow id, which names the caller and the definition, so a caller only ever
// sees the tasks it started; any other id is not found.
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Role, TaskState, type Artifact, type Message, type Part, type Task } from '@a2a-js/sdk';
import { RequestMalformedError, TaskNotFoundError, UnsupportedOperationError } from '@a2a-js/sdk/errors';
import type { A2ARequestHandler } from '@a2a-js/sdk/server';
import type { StewardClient } from '../../client';
import type { RunHandle } from '../../client/run-handle';

export interface TaskScope {
  client: StewardClient;
  /** The exposed definition. */
  definition: string;
  version?: number;
  /** The caller agent, as its token and certificate name it. */
  caller: string;
  /** Told of every run started, for the trail. */
  onStarted: (workflowId: string) => Promise<void>;
}

const PREFIX = 'a2a';

/** The run's workflow id for a message: the same message id from the same caller always names the same run. */
export function taskIdFor(scope: Pick<TaskScope, 'caller' | 'definition'>, messageId: string): string {
  const hex = createHash('sha256').update(`${scope.caller}\0${scope.definition}\0${messageId}`).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return `${PREFIX}/${scope.caller}/${scope.definition}/${uuid}`;
}

function ownsTask(scope: TaskScope, id: string): boolean {
  return id.startsWith(`${PREFIX}/${scope.caller}/${scope.definition}/`);
}

export function createRunTaskHandler(scope: TaskScope): A2ARequestHandler {
  const unsupported = async (): Promise<never> => {
    throw new UnsupportedOperationError('not offered by this agent');
  };
  const runOf = async (id: string): Promise<RunHandle> => {
    if (!ownsTask(scope, id)) throw new TaskNotFoundError(`task ${id} not found`);
    try {
      return await scope.client.getRun(id);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError(`task ${id} not found`);
      throw error;
    }
  };
  return {
    getAgentCard: unsupported,
    getAuthenticatedExtendedAgentCard: unsupported,
    async sendMessage(request) {
      const message = request.message;
      if (!message) throw new RequestMalformedError('a message is required');
      const id = taskIdFor(scope, message.messageId);
      const existing = await runOf(id).catch(() => undefined);
      if (existing) return taskOf(existing);
      const run = await scope.client.start({ workflow: scope.definition, version: scope.version, input: inputOf(message), workflowId: id });
      await scope.onStarted(run.workflowId);
      return taskOf(run);
    },
    sendMessageStream: () => {
      throw new UnsupportedOperationError('streaming is not offered by this agent');
    },
    async getTask(request) {
      return taskOf(await runOf(request.id));
    },
    async cancelTask(request) {
      const run = await runOf(request.id);
      if ((await run.status()) === 'RUNNING') await run.cancel();
      return taskOf(run);
    },
    createTaskPushNotificationConfig: unsupported,
    getTaskPushNotificationConfig: unsupported,
    listTaskPushNotificationConfigs: unsupported,
    deleteTaskPushNotificationConfig: unsupported,
    resubscribe: () => {
      throw new UnsupportedOperationError('streaming is not offered by this agent');
    },
    listTasks: unsupported,
  };
}

/** The run's input: the message's first data part, else its text parts as `{ text }`. */
export function inputOf(message: Message): unknown {
  const data = message.parts.find((part) => part.content?.$case === 'data');
  if (data?.content?.$case === 'data') return data.content.value ?? {};
  const text = message.parts.flatMap((part) => (part.content?.$case === 'text' ? [part.content.value] : [])).join('\n');
  return { text };
}

const STATES: Readonly<Record<string, TaskState>> = {
  RUNNING: TaskState.TASK_STATE_WORKING,
  CONTINUED_AS_NEW: TaskState.TASK_STATE_WORKING,
  COMPLETED: TaskState.TASK_STATE_COMPLETED,
  CANCELLED: TaskState.TASK_STATE_CANCELED,
  FAILED: TaskState.TASK_STATE_FAILED,
  TERMINATED: TaskState.TASK_STATE_FAILED,
  TIMED_OUT: TaskState.TASK_STATE_FAILED,
};

async function taskOf(run: RunHandle): Promise<Task> {
  const status = await run.status();
  const state = STATES[status] ?? TaskState.TASK_STATE_WORKING;
  const artifacts: Artifact[] = [];
  let note: Message | undefined;
  if (state === TaskState.TASK_STATE_COMPLETED) {
    artifacts.push({ artifactId: 'output', name: 'output', description: "the run's output", parts: [partOf(await run.result())], metadata: undefined, extensions: [] });
  } else if (state === TaskState.TASK_STATE_FAILED || state === TaskState.TASK_STATE_CANCELED) {
    // The reason stays on this side (the run's failure may name data); the caller learns how the run ended.
    note = agentMessage(run.workflowId, `the run ended ${status.toLowerCase()}`);
  }
  return {
    id: run.workflowId,
    contextId: run.workflowId,
    status: { state, message: note, timestamp: new Date().toISOString() },
    artifacts,
    history: [],
    metadata: undefined,
  };
}

function partOf(value: unknown): Part {
  return typeof value === 'string'
    ? { content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: 'text/plain' }
    : { content: { $case: 'data', value: value ?? null }, metadata: undefined, filename: '', mediaType: 'application/json' };
}

function agentMessage(taskId: string, text: string): Message {
  return {
    messageId: `${taskId}/status`,
    contextId: taskId,
    taskId,
    role: Role.ROLE_AGENT,
    parts: [partOf(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}
