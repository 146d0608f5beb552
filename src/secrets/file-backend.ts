// The file backend: one JSON object per secret document, `<dir>/<tenant>/<name>.json`, read fresh on each miss.
// Every path is checked after symlinks are resolved, so nothing outside the tenant's own folder can be read.
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { StewardError } from '../errors';
import type { SecretReference } from '../ir/secret-reference';
import { assertTenantId } from '../tenancy/tenant-id';
import { DEFAULT_VAULT_TENANT_PREFIX, locateTenantSecret } from './tenant-secret-paths';
import type { BackendResult, ResolveContext, SecretBackend } from './types';

export interface FileBackendOptions {
  /** The folder holding one sub-folder per tenant. */
  dir: string;
  /** Lets `vault:` references resolve here too, at their path relative to the tenant's Vault prefix. */
  vaultPrefixTemplate?: string;
}

const MAX_FILE_BYTES = 1_000_000;
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

// The parser already refuses these; the backend checks again because it may be handed a reference built in code.
function assertSafePath(path: string): void {
  const segments = path.split('/');
  if (segments.some((segment) => !SAFE_SEGMENT.test(segment) || segment === '..' || segment === '.')) {
    throw new StewardError('SECRET_DENIED', 'a file secret name must stay inside the tenant folder (no "..", "/" or empty segments)');
  }
}

export function createFileBackend(options: FileBackendOptions): SecretBackend {
  const readDocument = async (tenant: string, path: string): Promise<Record<string, unknown> | undefined> => {
    let root: string;
    let tenantDir: string;
    let target: string;
    let info: Awaited<ReturnType<typeof stat>>;
    const tenantId = assertTenantId(tenant);
    try {
      root = await realpath(options.dir);
      tenantDir = await realpath(join(root, tenantId));
      target = await realpath(join(tenantDir, `${path}.json`));
      info = await stat(target);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `the secrets folder for tenant ${tenant} cannot be read (${(error as NodeJS.ErrnoException).code})`);
    }
    if (!tenantDir.startsWith(`${root}${sep}`) || !target.startsWith(`${tenantDir}${sep}`)) {
      throw new StewardError('SECRET_DENIED', `file secret ${path} resolves outside tenant ${tenant}'s folder (a symlink out)`);
    }
    if (!info.isFile() || info.size > MAX_FILE_BYTES) {
      throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `file secret ${path} is not a regular file of at most ${MAX_FILE_BYTES} bytes`);
    }
    let document: unknown;
    try {
      document = JSON.parse(await readFile(target, 'utf8'));
    } catch {
      throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `file secret ${path} for tenant ${tenant} is not valid JSON`);
    }
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `file secret ${path} for tenant ${tenant} must hold a JSON object`);
    }
    return document as Record<string, unknown>;
  };

  return {
    name: 'file',
    async resolve(reference: SecretReference, context: ResolveContext): Promise<BackendResult> {
      const location = locateTenantSecret(reference, context.tenant, options.vaultPrefixTemplate ?? DEFAULT_VAULT_TENANT_PREFIX);
      // Files keep no versions: a pinned Vault version is never answered from a file.
      if (location === undefined || location.version !== undefined) return { found: false };
      assertSafePath(location.path);
      const document = await readDocument(context.tenant, location.path);
      if (document === undefined || !Object.hasOwn(document, location.key)) return { found: false };
      const value = document[location.key];
      return { found: true, value: typeof value === 'string' ? value : JSON.stringify(value) };
    },
  };
}
