// Temporal connection settings follow Temporal's environment conventions (TEMPORAL_ADDRESS, TEMPORAL_API_KEY,
// TEMPORAL_TLS_*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE), so the same code runs on a self-hosted cluster or
// Temporal Cloud by configuration alone. Without any, the local dev stack is used.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** Every Steward worker polls this task queue in each tenant namespace. */
export const TASK_QUEUE = 'steward-agents';

export function loadConnectionOptions(localTemporalAddress?: string, env: NodeJS.ProcessEnv = process.env): NativeConnectionOptions {
  const vars = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  const { connectionOptions } = loadClientConnectConfig({ profile: env.TEMPORAL_PROFILE, overrideEnvVars: vars });
  if (!connectionOptions.address && localTemporalAddress) return { ...connectionOptions, address: localTemporalAddress };
  return connectionOptions;
}
