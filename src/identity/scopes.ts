// OAuth scope lists: parsing the space-delimited `scope` form (RFC 6749 §3.3) and set operations on lists.
// Pure, so the workflow side may use it too.

/** A scope token: printable ASCII without space, `"` or `\` (RFC 6749 §3.3). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/** Splits a `scope` string into distinct tokens, keeping their first order; an absent scope is an empty list. */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  return dedupeScopes(scope.split(' ').filter((token) => token !== ''));
}

export function formatScope(scopes: readonly string[]): string {
  return dedupeScopes(scopes).join(' ');
}

export function dedupeScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)];
}

/** The scopes of `wanted` that `held` has, in `wanted`'s order. */
export function intersectScopes(wanted: readonly string[], held: readonly string[]): string[] {
  const have = new Set(held);
  return dedupeScopes(wanted).filter((scope) => have.has(scope));
}

/** The scopes of `wanted` that `held` lacks, in `wanted`'s order. */
export function missingScopes(wanted: readonly string[], held: readonly string[]): string[] {
  const have = new Set(held);
  return dedupeScopes(wanted).filter((scope) => !have.has(scope));
}
