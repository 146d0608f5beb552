// Resolves a policy's `pii_fields` JSONPaths against one value, as a set of JSON Pointers.
import { JSONPath } from 'jsonpath-plus';
import { PiiError } from './errors';

export function findPiiFieldPointers(value: unknown, paths: readonly string[]): Set<string> {
  const pointers = new Set<string>();
  if (paths.length === 0) return pointers;
  // jsonpath-plus treats a primitive document oddly (any path matches the root); only `$` can match one
  if (value === null || typeof value !== 'object') {
    if (paths.some((p) => p.trim() === '$')) pointers.add('');
    return pointers;
  }
  paths.forEach((path, i) => {
    let found: unknown;
    try {
      found = JSONPath({ path, json: value as object, resultType: 'pointer', eval: 'safe', wrap: true });
    } catch (cause) {
      throw new PiiError('INVALID_PII_FIELD_PATH', `pii_fields[${i}]: not a JSONPath this engine can evaluate`, { cause });
    }
    if (Array.isArray(found)) for (const pointer of found) if (typeof pointer === 'string') pointers.add(pointer);
  });
  return pointers;
}

/** Extends a JSON Pointer by one key, escaped as RFC 6901 requires. */
export function appendPointer(pointer: string, key: string | number): string {
  const token = typeof key === 'number' ? String(key) : key.replace(/~/g, '~0').replace(/\//g, '~1');
  return `${pointer}/${token}`;
}
