// The content hash of a definition: sha256 over canonical JSON (sorted keys) of the parsed definition.
// Not workflow-safe (node:crypto): for registration, which pins a run to the hash it started with.
import { createHash } from 'node:crypto';
import { toCanonicalJson } from '../common/canonical-json';
import type { Definition } from './schema';

/** sha256 hex of the definition's canonical JSON. */
export function hashDefinition(definition: Definition): string {
  return createHash('sha256').update(toCanonicalJson(definition), 'utf8').digest('hex');
}
