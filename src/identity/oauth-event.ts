// The OAuth audit record: what happened to a delegation, for whom, and with which scopes — never the token itself.
// Callers hand an `onOAuthEvent` callback to the identity operations; the audit trail is wired in by the worker.
import type { OAuthErrorCode, TokenInvalidReason } from './errors';

export type OAuthOperation = 'verify' | 'exchange' | 'use' | 'introspection' | 'refusal' | 'expiry' | 'revocation';
export type OAuthOutcome = 'granted' | 'denied' | 'error';

export interface OAuthEvent {
  operation: OAuthOperation;
  outcome: OAuthOutcome;
  /** The user the agent acts for (the subject token's `sub`), when known. */
  user?: string | undefined;
  /** The agent's OAuth client id. */
  agent?: string | undefined;
  run?: string | undefined;
  step?: string | undefined;
  audience?: string | undefined;
  scopesRequested: string[];
  scopesGranted: string[];
  errorCode?: OAuthErrorCode | undefined;
  reason?: TokenInvalidReason | undefined;
}

/** Identities the caller knows and the operation does not (who, which run, which step), copied into every event. */
export interface OAuthAuditContext {
  user?: string | undefined;
  agent?: string | undefined;
  run?: string | undefined;
  step?: string | undefined;
}

/** Awaited, so an audit sink that fails makes the operation fail rather than go unrecorded. */
export type OnOAuthEvent = (event: OAuthEvent) => void | Promise<void>;

export interface OAuthAuditOptions {
  onOAuthEvent?: OnOAuthEvent | undefined;
  auditContext?: OAuthAuditContext | undefined;
}

export async function emitOAuthEvent(
  options: OAuthAuditOptions,
  event: Omit<OAuthEvent, keyof OAuthAuditContext> & Partial<OAuthAuditContext>,
): Promise<void> {
  if (!options.onOAuthEvent) return;
  await options.onOAuthEvent({ ...options.auditContext, ...dropUndefined(event) });
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
