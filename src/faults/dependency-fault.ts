// Tells a fault of a dependency Steward runs on (its database, its secret backend, the identity provider and its
// JWKS) from a failure of the step itself. A dependency fault is waited out; only the step's own failures may use
// its `retry`. The answer names the dependency, never the data or the secret the call carried.
import { StewardError } from '../errors';
import { OAuthError, TokenInvalidError } from '../identity/errors';

export const DEPENDENCIES = ['postgres', 'secret_backend', 'identity_provider', 'jwks'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** How each dependency is named to a person: in failure messages and the approver's answer. */
export const DEPENDENCY_NAMES: Readonly<Record<Dependency, string>> = {
  postgres: "Steward's database",
  secret_backend: 'the secret backend',
  identity_provider: 'the identity provider',
  jwks: "the identity provider's JWKS",
};

// Postgres says it is going away or not ready (admin/crash shutdown, starting up) or the connection broke.
const POSTGRES_UNAVAILABLE_STATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
// What the socket under a database connection reports when the server is down or went away.
const SOCKET_FAILURES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// node-postgres's own words for a connection that ended or never came (they carry no code).
const POSTGRES_CONNECTION_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Client has encountered a connection error/];
// OAuth answers that mean the server (not the request) is at fault: RFC 6749's server_error and
// temporarily_unavailable, and no answer at all.
const IDENTITY_PROVIDER_OUTAGES: ReadonlySet<string> = new Set(['server_error', 'temporarily_unavailable', 'network_error']);
const MAX_CAUSES = 5;

/** The dependency whose outage `error` reports, or undefined when it is some other failure. */
export function dependencyFaultOf(error: unknown): Dependency | undefined {
  if (error instanceof TokenInvalidError) return error.reason === 'jwks_unavailable' ? 'jwks' : undefined;
  if (error instanceof OAuthError) return IDENTITY_PROVIDER_OUTAGES.has(error.oauthCode) ? 'identity_provider' : undefined;
  if (error instanceof StewardError) {
    if (error.code === 'SECRET_BACKEND_UNAVAILABLE') return 'secret_backend';
    // The PII tokenizer keeps its vault in the database: its failure is an outage when the database's is.
    if (error.code === 'TOKENIZER_FAILED') return postgresFaultInCauses(error.cause) ? 'postgres' : undefined;
    return undefined;
  }
  return isPostgresFault(error) ? 'postgres' : undefined;
}

function postgresFaultInCauses(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSES && current !== undefined; depth += 1) {
    if (isPostgresFault(current)) return true;
    current = (current as { cause?: unknown } | null)?.cause;
  }
  return false;
}

/**
 * A database error that says the server cannot be reached. Socket errors count only as thrown raw: a tool's HTTP
 * call never throws them so (it wraps its network failures), and a model call's become provider errors.
 */
function isPostgresFault(error: unknown): boolean {
  // Read by shape, not `instanceof`: socket errors are made by Node's own realm, which need not be the caller's.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (POSTGRES_UNAVAILABLE_STATES.has(code) || SOCKET_FAILURES.has(code))) return true;
  if (Array.isArray(errors)) return errors.some(isPostgresFault);
  return typeof message === 'string' && POSTGRES_CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
}
