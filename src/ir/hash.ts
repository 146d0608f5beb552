// The content hash of a definition: sha256 over canonical JSON (sorted keys) of the parsed definition.
// Not workflow-safe (node:crypto): for registration, which pins a run to the hash it started with.
import { createHash } from 'node:crypto';
import type { Definition } from './schema';

// Sorted keys and no whitespace, so the same definition always hashes the same whatever order it was written in.
function toCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(toCanonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${toCanonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** sha256 hex of the definition's canonical JSON. */
export function hashDefinition(definition: Definition): string {
  return createHash('sha256').update(toCanonicalJson(definition), 'utf8').digest('hex');
}
