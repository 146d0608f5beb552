// Scope narrowing: an agent never asks for more than the step needs, nor more than the user holds.
import fc from 'fast-check';
import { isOAuthError } from '../../src/identity/errors';
import { narrowScopes, type ScopeRequirement } from '../../src/identity/narrow-scopes';

const ALICE = ['expenses:read', 'expenses:write'];
const BOB = ['expenses:read'];

describe('narrowScopes', () => {
  const granted: Array<[string, ScopeRequirement, string[], string[]]> = [
    ['a step requiring a scope the user holds gets exactly that scope', { required_scopes: ['expenses:write'] }, ALICE, ['expenses:write']],
    ['per-step scopes win over the workflow request', { required_scopes: ['expenses:read'], requested_scopes: ALICE }, ALICE, ['expenses:read']],
    ['a superset workflow request is cut down to the user', { requested_scopes: ['expenses:read', 'expenses:write', 'admin'] }, BOB, ['expenses:read']],
    ['a partial overlap keeps only the shared scopes', { requested_scopes: ['expenses:write', 'reports:read'] }, ALICE, ['expenses:write']],
    ['duplicates are asked once', { required_scopes: ['expenses:read', 'expenses:read'] }, ALICE, ['expenses:read']],
    ['an empty step list falls back to the workflow', { required_scopes: [], requested_scopes: ['expenses:read'] }, BOB, ['expenses:read']],
  ];
  it.each(granted)('%s', (_name, requirement, userScopes, expected) => {
    expect(narrowScopes(requirement, userScopes)).toEqual(expected);
  });

  const denied: Array<[string, ScopeRequirement, string[], RegExp]> = [
    ['a step requiring a scope the user lacks', { required_scopes: ['expenses:write'] }, BOB, /expenses:write/],
    ['a step requiring two scopes when the user has one', { required_scopes: ['expenses:read', 'expenses:write'] }, BOB, /expenses:write/],
    ['a disjoint workflow request', { requested_scopes: ['reports:read'] }, ALICE, /none of the requested scopes/],
    ['a user with no scope at all (step)', { required_scopes: ['expenses:read'] }, [], /expenses:read/],
    ['a user with no scope at all (workflow)', { requested_scopes: ['expenses:read'] }, [], /none of the requested scopes/],
    ['nothing requested anywhere', {}, ALICE, /no scope is requested/],
  ];
  const undeclared: Array<[string, ScopeRequirement]> = [
    ['a required scope the agent does not declare, though the user holds it', { required_scopes: ['expenses:write'], requested_scopes: ['expenses:read'] }],
    ['one undeclared scope among declared ones', { required_scopes: ['expenses:read', 'expenses:delete'], requested_scopes: ALICE }],
  ];
  it.each(undeclared)('refuses %s with a non-retryable scope_not_declared (the agent’s fault, not the user’s)', (_name, requirement) => {
    let caught: unknown;
    try {
      narrowScopes(requirement, [...ALICE, 'expenses:delete']);
    } catch (error) {
      caught = error;
    }
    expect(isOAuthError(caught, 'scope_not_declared')).toBe(true);
    expect((caught as { retryable: boolean }).retryable).toBe(false);
    expect((caught as Error).message).toMatch(/oauth\.requested_scopes: expenses:(write|delete)$/);
  });

  it('lets an agent that declares no scopes ask for any scope the step requires', () => {
    expect(narrowScopes({ required_scopes: ['expenses:write'], requested_scopes: [] }, ALICE)).toEqual(['expenses:write']);
  });

  it.each(denied)('refuses %s with a non-retryable scope_denied', (_name, requirement, userScopes, message) => {
    let caught: unknown;
    try {
      narrowScopes(requirement, userScopes);
    } catch (error) {
      caught = error;
    }
    expect(isOAuthError(caught, 'scope_denied')).toBe(true);
    expect((caught as { retryable: boolean }).retryable).toBe(false);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('narrowScopes properties', () => {
  const scope = fc.constantFrom('a:read', 'a:write', 'b:read', 'b:write', 'c', 'd', 'e');
  const scopes = fc.array(scope, { maxLength: 7 });

  const outcome = (requirement: ScopeRequirement, user: string[]) => {
    try {
      return { ok: narrowScopes(requirement, user) };
    } catch (error) {
      if (!isOAuthError(error, 'scope_denied') && !isOAuthError(error, 'scope_not_declared')) throw error;
      return { denied: true };
    }
  };

  it('never grants a scope the user lacks, that was not asked, or that the agent did not declare', () => {
    fc.assert(
      fc.property(scopes, scopes, scopes, (required, requested, user) => {
        const result = outcome({ required_scopes: required, requested_scopes: requested }, user);
        if (!result.ok) return;
        const asked = required.length > 0 ? required : requested;
        for (const s of result.ok) {
          expect(user).toContain(s);
          expect(asked).toContain(s);
          if (requested.length > 0) expect(requested).toContain(s);
        }
        expect(result.ok.length).toBeGreaterThan(0);
      }),
    );
  });

  it('grants every required scope or refuses the step', () => {
    fc.assert(
      fc.property(fc.array(scope, { minLength: 1, maxLength: 7 }), scopes, (required, user) => {
        const result = outcome({ required_scopes: required }, user);
        const holdsAll = required.every((s) => user.includes(s));
        if (holdsAll) expect(new Set(result.ok)).toEqual(new Set(required));
        else expect(result.denied).toBe(true);
      }),
    );
  });

  it('is the intersection for workflow requests, refused only when empty', () => {
    fc.assert(
      fc.property(scopes, scopes, (requested, user) => {
        const result = outcome({ requested_scopes: requested }, user);
        const expected = [...new Set(requested.filter((s) => user.includes(s)))];
        if (expected.length === 0) expect(result.denied).toBe(true);
        else expect(result.ok).toEqual(expected);
      }),
    );
  });

  it('does not depend on the order or repetition of the user scopes', () => {
    fc.assert(
      fc.property(scopes, scopes, (requested, user) => {
        const a = outcome({ requested_scopes: requested }, user);
        const b = outcome({ requested_scopes: requested }, [...user].reverse().concat(user));
        expect(a).toEqual(b);
      }),
    );
  });
});
