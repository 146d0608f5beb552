// Resolves where Steward's services are: explicit configuration first, then the local dev stack.
import { StewardError } from '../errors';
import { loadStewardEnv, type StewardEnv } from './env';
import { readStackFile } from './stack-file';

export interface RuntimeConfig {
  env: StewardEnv;
  /** The operator's connection: migrations and tenant provisioning (DDL). */
  databaseUrl: string;
  /** The application's connection: a role that owns nothing and cannot bypass row-level security. */
  appDatabaseUrl: string;
  /** The Temporal address of the local stack, used only when Temporal's own configuration names none. */
  localTemporalAddress?: string;
  uiUrl: string;
  /** Where user and approver tokens are verified; undefined when no identity provider is configured. */
  identity?: { issuer: string; audience: string; jwksUrl: string };
  /** Default provider base URLs for `llm` nodes without base_url (OpenAI-compatible ones end in /v1). */
  llmBaseUrls?: { openai: string; anthropic: string };
  /** Where traces go and where they are seen: OTEL_EXPORTER_OTLP_ENDPOINT and STEWARD_TRACES_UI_URL, else the local
   *  stack's Jaeger. Workers follow OpenTelemetry's environment alone; the CLI uses these to link runs to traces. */
  traces: { otlpEndpoint?: string; uiUrl?: string };
  /** The environment secret backends read: the process's own, with the local stack's Vault when none is named. */
  secretsEnv: NodeJS.ProcessEnv;
}

export function loadRuntimeConfig(processEnv: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const env = loadStewardEnv(processEnv);
  const stack = readStackFile(env.STEWARD_STATE_DIR);
  const databaseUrl = env.DATABASE_URL ?? stack?.postgres.url;
  if (!databaseUrl) {
    throw new StewardError(
      'CONFIG_INVALID',
      'DATABASE_URL is not set and no local stack is running (start one with `steward dev --detach`)',
    );
  }
  return {
    env,
    databaseUrl,
    appDatabaseUrl: env.STEWARD_APP_DATABASE_URL ?? appRoleUrl(databaseUrl),
    localTemporalAddress: stack?.temporal.address,
    identity: identityConfig(env, stack?.services.sts?.url),
    secretsEnv: processEnv.VAULT_ADDR || !stack?.vault ? processEnv : { ...processEnv, VAULT_ADDR: stack.vault.address, VAULT_TOKEN: stack.vault.root_token },
    llmBaseUrls: llmBaseUrls(env.STEWARD_LLM_BASE_URL ?? stack?.services.llm?.url),
    uiUrl: env.STEWARD_UI_URL ?? stack?.temporal.ui ?? `http://127.0.0.1:${env.STEWARD_TEMPORAL_UI_PORT}`,
    traces: {
      otlpEndpoint: processEnv.OTEL_EXPORTER_OTLP_ENDPOINT || stack?.jaeger?.otlp_endpoint,
      uiUrl: env.STEWARD_TRACES_UI_URL ?? stack?.jaeger?.ui,
    },
  };
}

export const APP_ROLE = 'steward_app';

function appRoleUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.username = APP_ROLE;
  url.password = '';
  return url.toString();
}

function identityConfig(env: StewardEnv, localIssuer: string | undefined): RuntimeConfig['identity'] {
  const issuer = env.STEWARD_OIDC_ISSUER ?? localIssuer;
  if (!issuer) return undefined;
  return { issuer, audience: env.STEWARD_OIDC_AUDIENCE, jwksUrl: env.STEWARD_OIDC_JWKS_URL ?? `${issuer.replace(/\/$/, '')}/jwks` };
}

function llmBaseUrls(base: string | undefined): RuntimeConfig['llmBaseUrls'] {
  if (!base) return undefined;
  const root = base.replace(/\/$/, '');
  return { openai: `${root}/v1`, anthropic: root };
}
