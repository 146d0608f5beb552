// Secret references (`vault:<mount>/<path>#<key>[@<version>]`, `vault:~/<path>#<key>`, `env:<NAME>`, `file:<name>#<key>`,
// `aws:<name>[#<key>]`):
// one parser, one schema. Only references live in definitions; values are resolved inside activities. Workflow-safe.
import { z } from 'zod';
import { StewardError } from '../errors';

/** The mount a tenant-relative Vault reference names: `vault:~/llm#openai` lives under the running tenant's own prefix,
 *  so one definition serves every tenant it is registered in. */
export const TENANT_ROOT = '~';

export type SecretReference =
  | { backend: 'vault'; mount: string; path: string; key: string; version?: number }
  | { backend: 'env'; name: string }
  | { backend: 'file'; name: string; key: string }
  | { backend: 'aws'; name: string; key?: string };

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const KEY = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VERSION = /^[1-9][0-9]{0,8}$/;
const MAX_REFERENCE_LENGTH = 512;

function fail(message: string): never {
  throw new StewardError('DEFINITION_INVALID', message);
}

// `..` and `.` segments are refused so a reference can never climb out of the tenant's prefix.
function assertSafeSegment(segment: string, what: string): void {
  if (!SEGMENT.test(segment) || segment === '.' || segment === '..') {
    fail(`${what} must be letters, digits, '.', '_' or '-' (no empty, '.' or '..' segments)`);
  }
}

function parseVault(body: string): SecretReference {
  const hash = body.indexOf('#');
  if (hash < 0) fail('a vault reference needs #<key>: vault:<mount>/<path>#<key>[@<version>]');
  const location = body.slice(0, hash);
  let key = body.slice(hash + 1);
  let version: number | undefined;
  const at = key.lastIndexOf('@');
  if (at >= 0) {
    const versionText = key.slice(at + 1);
    if (!VERSION.test(versionText)) fail('a vault version must be a positive integer: #<key>@<version>');
    version = Number(versionText);
    key = key.slice(0, at);
  }
  if (!KEY.test(key)) fail('a vault key must be letters, digits, ".", "_" or "-"');
  const segments = location.split('/');
  if (segments.length < 2) fail('a vault reference needs a mount and a path: vault:<mount>/<path>#<key> or vault:~/<path>#<key>');
  const relative = segments[0] === TENANT_ROOT;
  (relative ? segments.slice(1) : segments).forEach((segment) => assertSafeSegment(segment, 'each vault mount and path segment'));
  const [mount, ...path] = segments as [string, ...string[]];
  return version === undefined
    ? { backend: 'vault', mount, path: path.join('/'), key }
    : { backend: 'vault', mount, path: path.join('/'), key, version };
}

function parseFile(body: string): SecretReference {
  const parts = body.split('#');
  if (parts.length !== 2) fail('a file reference is file:<name>#<key>');
  const [name, key] = parts as [string, string];
  assertSafeSegment(name, 'a file name');
  if (!KEY.test(key)) fail('a file key must be letters, digits, ".", "_" or "-"');
  return { backend: 'file', name, key };
}

// An AWS secret's name relative to the tenant's prefix: path-like segments, never '.' or '..'.
function parseAws(body: string): SecretReference {
  const parts = body.split('#');
  if (parts.length > 2) fail('an aws reference is aws:<name>[#<key>]');
  const [name, key] = parts as [string, string | undefined];
  name.split('/').forEach((segment) => assertSafeSegment(segment, 'each aws secret name segment'));
  if (key !== undefined && !KEY.test(key)) fail('an aws key must be letters, digits, ".", "_" or "-"');
  return key === undefined ? { backend: 'aws', name } : { backend: 'aws', name, key };
}

/** Parses a secret reference; throws a `StewardError` (`DEFINITION_INVALID`) saying what is wrong with its form. */
export function parseSecretReference(text: string): SecretReference {
  if (typeof text !== 'string') fail('a secret reference must be a string');
  if (text.length > MAX_REFERENCE_LENGTH) fail(`a secret reference is at most ${MAX_REFERENCE_LENGTH} characters`);
  const colon = text.indexOf(':');
  const scheme = colon < 0 ? '' : text.slice(0, colon);
  const body = text.slice(colon + 1);
  switch (scheme) {
    case 'vault':
      return parseVault(body);
    case 'env':
      if (!ENV_NAME.test(body)) fail('an env reference is env:<NAME> (letters, digits and _)');
      return { backend: 'env', name: body };
    case 'file':
      return parseFile(body);
    case 'aws':
      return parseAws(body);
    default:
      return fail('a secret reference starts with vault:, env:, file: or aws:');
  }
}

/** The text form of a secret reference, as written in a definition's `secrets` map. */
export const SecretReferenceText = z
  .string()
  .superRefine((text, ctx) => {
    try {
      parseSecretReference(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'not a secret reference' });
    }
  })
  .describe("vault:<mount>/<path>#<key>[@<version>], vault:~/<path>#<key> (under the tenant's own prefix), env:<NAME>, file:<name>#<key> or aws:<name>[#<key>] (under the tenant's own prefix)");
export type SecretReferenceText = z.infer<typeof SecretReferenceText>;
