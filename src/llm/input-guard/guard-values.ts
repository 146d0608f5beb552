// Applies the input guard to untrusted JSON data before prompt templates read it: every string, keys included, of
// the run input, variables and node outputs. Findings name where (a field path) and what, never the text. Pure.
import { applyInputGuard, type InputGuardPolicy } from './apply-input-guard';
import type { InjectionKind } from './rules';

export interface ValueFinding {
  /** Where the marker is, e.g. `input.comment`, `nodes.fetch.output.items[2]` or `input.notes[*]`. */
  path: string;
  kind: InjectionKind;
  rule: string;
  hidden?: true;
}

export interface GuardedValue<T> {
  /** The value to render from: unchanged (flag), with marked text cut out (sanitize), or as given when blocked. */
  value: T;
  findings: ValueFinding[];
  blocked: boolean;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  // A key that is no identifier is data (an email, a name): paths go to the audit trail and error messages, so it
  // shows only as `[*]`.
  return PLAIN_KEY.test(key) ? `${path}.${key}` : `${path}[*]`;
}

export function guardValue<T>(value: T, policy: InputGuardPolicy, path: string): GuardedValue<T> {
  const findings: ValueFinding[] = [];
  let blocked = false;
  const guardText = (text: string, at: string): string => {
    const result = applyInputGuard(text, policy);
    for (const finding of result.findings) findings.push({ path: at, kind: finding.kind, rule: finding.rule, ...(finding.hidden ? { hidden: true as const } : {}) });
    if (result.blocked) blocked = true;
    return result.blocked ? text : result.text;
  };
  const walk = (item: unknown, at: string): unknown => {
    if (typeof item === 'string') return guardText(item, at);
    if (Array.isArray(item)) return item.map((entry, index) => walk(entry, childPath(at, index)));
    if (typeof item === 'object' && item !== null) {
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => [guardText(key, at), walk(entry, childPath(at, key))]));
    }
    return item;
  };
  const guarded = walk(value, path) as T;
  return { value: blocked ? value : guarded, findings, blocked };
}
