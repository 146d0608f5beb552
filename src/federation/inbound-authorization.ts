// Decides whether an inbound A2A call may proceed, in a fixed order: the agent is exposed, the client certificate
// is from a CA the tenant trusts and valid now, a bearer token of the tenant (not revoked, not expired), bound to the
// agent the certificate names, that agent on the allowlist, and the token holding the method's scope. Pure.
import { checkClientCertificate } from './client-certificate';
import { scopeForMethod, type FederationMethod, type FederationSettings } from './federation-settings';
import { checkInboundToken } from './inbound-token';

export type RefusalReason =
  | 'agent_not_found'
  | 'client_certificate_missing'
  | 'client_certificate_untrusted'
  | 'client_certificate_expired'
  | 'client_certificate_without_identity'
  | 'token_missing'
  | 'token_invalid'
  | 'token_revoked'
  | 'token_expired'
  | 'identity_mismatch'
  | 'agent_not_allowed'
  | 'scope_denied';

/** 404 for an agent not served, 401 until the caller is known, 403 for a known caller refused. */
export const REFUSAL_STATUS: Readonly<Record<RefusalReason, 401 | 403 | 404>> = {
  agent_not_found: 404,
  client_certificate_missing: 401,
  client_certificate_untrusted: 401,
  client_certificate_expired: 401,
  client_certificate_without_identity: 401,
  token_missing: 401,
  token_invalid: 401,
  token_revoked: 401,
  token_expired: 401,
  identity_mismatch: 403,
  agent_not_allowed: 403,
  scope_denied: 403,
};

/** What the trail records of a call: ids and fingerprints, never a token. */
export interface CallerFacts {
  certificateIdentity?: string;
  certificateFingerprint?: string;
  tokenId?: string;
  tokenAgent?: string;
}

export type InboundDecision =
  | { ok: true; caller: string; facts: CallerFacts }
  | { ok: false; reason: RefusalReason; facts: CallerFacts };

export interface InboundCall {
  agent: string;
  /** Undefined for the agent card, which needs an authenticated caller but no scope. */
  method: FederationMethod | undefined;
  peerCertificate: Buffer | undefined;
  bearer: string | undefined;
  now: Date;
}

export function authorizeInboundCall(settings: FederationSettings | undefined, call: InboundCall): InboundDecision {
  const facts: CallerFacts = {};
  const refuse = (reason: RefusalReason): InboundDecision => ({ ok: false, reason, facts });
  if (!settings || !Object.hasOwn(settings.agents, call.agent)) return refuse('agent_not_found');
  const certificate = checkClientCertificate(call.peerCertificate, settings.trusted_cas, call.now);
  if (certificate.fingerprint) facts.certificateFingerprint = certificate.fingerprint;
  if (!certificate.ok) return refuse(certificate.reason);
  facts.certificateIdentity = certificate.identity;
  if (call.bearer === undefined) return refuse('token_missing');
  const token = checkInboundToken(call.bearer, settings.tokens, call.now);
  if (token.token) Object.assign(facts, { tokenId: token.token.id, tokenAgent: token.token.agent });
  if (!token.ok) return refuse(token.reason);
  if (token.token.agent !== certificate.identity) return refuse('identity_mismatch');
  if (!settings.allow.includes(token.token.agent)) return refuse('agent_not_allowed');
  if (call.method !== undefined && !token.token.scopes.includes(scopeForMethod(settings, call.method))) return refuse('scope_denied');
  return { ok: true, caller: token.token.agent, facts };
}
