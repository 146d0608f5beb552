// Steward's own configuration, read from the environment and validated once at start-up.
// Temporal connection settings are not here: they follow Temporal's own conventions (see src/temporal/connection.ts).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseAllowEntry } from '../egress/address-policy';
import { StewardError } from '../errors';
import { isDuration } from '../ir/duration';
import { formatZodIssues } from '../common/zod-issues';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

export const StewardEnv = z.object({
  /** Postgres connection string; when unset, the running local dev stack's database is used. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'a postgres:// connection URL' }).optional(),
  /** Postgres connection string of the application role (non-owner, subject to row-level security). Defaults to
   *  DATABASE_URL with the user `steward_app`, which the migrations create (trust or peer auth on a dev server). */
  STEWARD_APP_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'a postgres:// connection URL' }).optional(),
  /** Where the local stack keeps its state and logs. */
  STEWARD_STATE_DIR: z.string().min(1).default(resolve('.steward')),
  /** Where built tools (the temporal and vault binaries) are cached, outside any checkout. */
  STEWARD_CACHE_DIR: z.string().min(1).default(join(homedir(), '.cache', 'steward')),
  /** Prefix of every tenant's Temporal namespace: namespace = prefix + tenant id. */
  STEWARD_NAMESPACE_PREFIX: z.string().regex(/^[a-z0-9-]*$/, 'lowercase letters, digits and -').default(''),
  /** Retention of closed runs in each tenant namespace. */
  STEWARD_NAMESPACE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /** Base URL of the Temporal Web UI, used to print links to runs. */
  STEWARD_UI_URL: z.url().optional(),
  /** How often each tenant's retention schedule purges data past its retention (audit entries, ledger rows, user tokens, PII-vault entries). */
  STEWARD_RETENTION_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
  /** A worker signs an audit checkpoint each time a tenant's chain passes a multiple of this many entries. */
  STEWARD_AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).max(10_000_000).default(1_000),
  /** How often a worker serving every tenant looks for tenants created or deleted since. */
  STEWARD_TENANT_REFRESH_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** A tenant's Worker that has had no task for this long is stopped; its namespace is then watched and the Worker
   *  started again when work arrives. 0 keeps every served tenant's Worker running. */
  STEWARD_TENANT_IDLE_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  /** How often a worker looks at its idle tenants' task queues for work (and at its busy ones for idleness). */
  STEWARD_TENANT_WATCH_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /** A worker replica that has not written its heartbeat (every STEWARD_TENANT_REFRESH_MS) for this long counts as
   *  dead, and the other replicas take its tenants over. */
  STEWARD_REPLICA_TTL_MS: z.coerce.number().int().min(1_000).max(600_000).default(15_000),
  /** Each tenant's share of a worker process: activities and workflow tasks it may have in hand at once. */
  STEWARD_TENANT_MAX_ACTIVITIES: z.coerce.number().int().min(1).max(1_000).default(20),
  STEWARD_TENANT_MAX_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1_000).default(10),
  /** Threads running workflow code, shared by every tenant a worker process serves (each holds the interpreter). */
  STEWARD_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  /** How long a worker may take to stop after SIGTERM/SIGINT (running tasks get most of it) before it exits anyway. */
  STEWARD_WORKER_STOP_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(12_000),
  /** How long a run waits out an outage of a dependency (database, secret backend, identity provider) at one step
   *  before the step fails: a duration like 30m, 1h or 1d. The step's own `retry` is not spent on such outages. */
  STEWARD_DEPENDENCY_WAIT: z
    .string()
    .default('1h')
    .refine(isDuration, 'a duration such as 30m, 1h or 1d (a number and a unit: ms, s, m, h, d)'),
  /** Local stack ports, all bound to 127.0.0.1. */
  STEWARD_TEMPORAL_PORT: port(7233),
  STEWARD_TEMPORAL_UI_PORT: port(8233),
  STEWARD_POSTGRES_PORT: port(55432),
  STEWARD_STS_PORT: port(4444),
  STEWARD_VAULT_PORT: port(8200),
  STEWARD_LLM_PORT: port(4010),
  STEWARD_GATEWAY_PORT: port(4020),
  STEWARD_EXPENSES_PORT: port(4030),
  STEWARD_CODEC_PORT: port(4040),
  /** The local stack's federation endpoint (A2A over mutual TLS). */
  STEWARD_FEDERATION_PORT: port(4050),
  /** The local stack's Jaeger: its Web UI and query API, and its OTLP receivers (HTTP, gRPC). */
  STEWARD_JAEGER_UI_PORT: port(16686),
  STEWARD_OTLP_PORT: port(4318),
  STEWARD_OTLP_GRPC_PORT: port(4317),
  /** Base URL of the trace UI (Jaeger's) that `steward run` links runs to; the local stack's when unset. */
  STEWARD_TRACES_UI_URL: z.url().optional(),
  /** The identity provider that signs user and approver tokens (an OpenID issuer with a JWKS).
   *  Defaults to the local stack's STS. */
  STEWARD_OIDC_ISSUER: z.url().optional(),
  /** The audience user tokens must carry. */
  STEWARD_OIDC_AUDIENCE: z.string().min(1).default('steward'),
  /** Base URL of the model server used by `llm` nodes that name no base_url; defaults to the local stack's. */
  STEWARD_LLM_BASE_URL: z.url().optional(),
  /** The issuer's JWKS; defaults to <issuer>/jwks. */
  STEWARD_OIDC_JWKS_URL: z.url().optional(),
  /** The master key the per-tenant PII hashing keys derive from (hex:… or base64:…, at least 32 bytes); the PII
   *  vault finds and erases values by these keys. Defaults, on the local stack only, to a key kept in the state folder. */
  STEWARD_PII_MASTER_KEY: z.string().min(1).optional(),
  /** Comma-separated `egress.allow` entries granted to every tenant's tool calls (e.g. a dev stack's demo services,
   *  `127.0.0.1:4030`); each tenant adds its own in its settings. Steward's own services stay refused. */
  STEWARD_EGRESS_ALLOW: z
    .string()
    .default('')
    .superRefine((value, context) => {
      for (const entry of value.split(',').filter((text) => text !== '')) {
        const parsed = parseAllowEntry(entry);
        if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.message });
      }
    }),
  /** Log verbosity of the worker and the CLI. */
  STEWARD_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
}).refine((env) => env.STEWARD_REPLICA_TTL_MS >= 2 * env.STEWARD_TENANT_REFRESH_MS, {
  path: ['STEWARD_REPLICA_TTL_MS'],
  // A live replica writes its heartbeat once per refresh: a shorter TTL would count it dead between two of them.
  message: 'must be at least twice STEWARD_TENANT_REFRESH_MS',
});
export type StewardEnv = z.infer<typeof StewardEnv>;

/** Validates the environment, failing fast with the variable's name and what it must be. */
export function loadStewardEnv(env: NodeJS.ProcessEnv = process.env): StewardEnv {
  const parsed = StewardEnv.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new StewardError('CONFIG_INVALID', `invalid configuration: ${formatZodIssues(parsed.error)}`);
}
