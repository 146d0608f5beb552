// Scope narrowing: an agent asks only for what the step needs, never for a scope it did not declare, and never for
// more than the user holds. Pure (no I/O, no clock), so the interpreter can decide before any activity runs.
import { OAuthError } from './errors';
import { dedupeScopes, intersectScopes, missingScopes } from './scopes';

export interface ScopeRequirement {
  /** The node's `oauth_scopes.required_scopes`: every one of them is needed, so a single missing one refuses the step. */
  required_scopes?: readonly string[] | undefined;
  /**
   * The workflow's `oauth.requested_scopes`: what the agent declares it may ever ask for. A step's required scopes
   * must lie inside it (when it is set), and a step that names none asks for the user's share of it.
   */
  requested_scopes?: readonly string[] | undefined;
}

/**
 * The scopes to request in the token exchange: the node's required scopes (else the workflow's requested scopes)
 * intersected with the user's. Throws a non-retryable `OAuthError`: `scope_not_declared` when a required scope lies
 * outside the agent's declared scopes (the definition's fault, so no user can fix it), `scope_denied` when the user
 * lacks a required scope, or when nothing is left to ask for.
 */
export function narrowScopes(required: ScopeRequirement, userScopes: readonly string[]): string[] {
  const stepScopes = dedupeScopes(required.required_scopes ?? []);
  const workflowScopes = dedupeScopes(required.requested_scopes ?? []);
  if (stepScopes.length > 0) {
    // The declaration caps the agent: a required scope outside it would let one node reach past what the agent asked for.
    const undeclared = workflowScopes.length > 0 ? missingScopes(stepScopes, workflowScopes) : [];
    if (undeclared.length > 0) {
      throw new OAuthError('scope_not_declared', `the step requires scope(s) the agent does not declare in oauth.requested_scopes: ${undeclared.join(', ')}`);
    }
    const missing = missingScopes(stepScopes, userScopes);
    if (missing.length > 0) {
      throw new OAuthError('scope_denied', `the user does not hold the scope(s) this step requires: ${missing.join(', ')}`);
    }
    return stepScopes;
  }
  if (workflowScopes.length === 0) {
    // Exchanging without a scope would let the server hand out everything the user has.
    throw new OAuthError('scope_denied', 'no scope is requested: set oauth_scopes.required_scopes on the node or oauth.requested_scopes');
  }
  const granted = intersectScopes(workflowScopes, userScopes);
  if (granted.length === 0) {
    throw new OAuthError('scope_denied', `the user holds none of the requested scopes: ${workflowScopes.join(', ')}`);
  }
  return granted;
}
