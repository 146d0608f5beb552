// Steward's own services, which no tenant's tool call may reach whatever its egress.allow says: Temporal's
// frontend and Web UI (any namespace is readable there without an authorizer), Vault, Postgres, the trace store
// (Jaeger's query API shows every tenant's traces) and Steward's servers (codec, approvals gateway, federation). Read from the validated configuration, host names resolved once.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RuntimeConfig } from '../config/runtime';
import type { ProtectedEndpoint } from './address-policy';

/** `host:port` (or a URL) of every service of the deployment, from the configuration. */
export function deploymentServiceAddresses(config: RuntimeConfig, temporalAddress: string | undefined): string[] {
  const env = config.env;
  return [
    temporalAddress,
    config.localTemporalAddress,
    config.uiUrl,
    config.databaseUrl,
    config.appDatabaseUrl,
    config.secretsEnv.VAULT_ADDR,
    // A local identity provider (the dev stack's STS can mint tokens); a hosted IdP is a public service like any other.
    ...(config.identity && isLocalUrl(config.identity.issuer) ? [config.identity.issuer] : []),
    `127.0.0.1:${env.STEWARD_CODEC_PORT}`,
    `127.0.0.1:${env.STEWARD_GATEWAY_PORT}`,
    // The federation server answers other organisations; a tenant's tool step must not call it as the deployment.
    `127.0.0.1:${env.STEWARD_FEDERATION_PORT}`,
    `127.0.0.1:${env.STEWARD_TEMPORAL_UI_PORT}`,
    `127.0.0.1:${env.STEWARD_VAULT_PORT}`,
    `127.0.0.1:${env.STEWARD_POSTGRES_PORT}`,
    `127.0.0.1:${env.STEWARD_JAEGER_UI_PORT}`,
    `127.0.0.1:${env.STEWARD_OTLP_PORT}`,
    `127.0.0.1:${env.STEWARD_OTLP_GRPC_PORT}`,
  ].filter((value): value is string => typeof value === 'string' && value !== '');
}

function isLocalUrl(text: string): boolean {
  const host = hostAndPort(text)?.host;
  return host === 'localhost' || host === '::1' || (host !== undefined && /^127\./.test(host));
}

function hostAndPort(text: string): { host: string; port: number } | undefined {
  try {
    const url = new URL(text.includes('://') ? text : `tcp://${text}`);
    const defaults: Record<string, number> = { 'http:': 80, 'https:': 443, 'postgres:': 5432, 'postgresql:': 5432 };
    const port = url.port === '' ? defaults[url.protocol] : Number(url.port);
    if (port === undefined || url.hostname === '') return undefined;
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return undefined;
  }
}

/** Resolves the services' names to addresses; a name that does not resolve protects nothing and is skipped. */
export async function resolveProtectedEndpoints(addresses: readonly string[]): Promise<ProtectedEndpoint[]> {
  const endpoints: ProtectedEndpoint[] = [];
  for (const text of addresses) {
    const parsed = hostAndPort(text);
    if (!parsed) continue;
    if (isIP(parsed.host) !== 0) {
      endpoints.push({ address: parsed.host, port: parsed.port });
      continue;
    }
    const resolved = await lookup(parsed.host, { all: true }).catch(() => []);
    for (const { address } of resolved) endpoints.push({ address, port: parsed.port });
  }
  return endpoints;
}

/** This machine's own addresses: a service bound to 0.0.0.0 answers on each of them. */
export function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((entries) => (entries ?? []).map((entry) => entry.address));
}
