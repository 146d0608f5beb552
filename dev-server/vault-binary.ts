// The Vault binary: found on PATH or in the cache, else built once from Vault's module on the Go module proxy.
// `go install` refuses modules whose go.mod has `replace` directives, so the source is copied, adjusted and built.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { buildLogFile, runGo } from './go-build';
import { which } from './processes';

export const VAULT_MODULE = 'github.com/hashicorp/vault';
/** The newest MPL-licensed 1.14 patch on the module proxy (v1.14.9 is not served; v1.14.10 ships under the BSL). */
export const VAULT_VERSION = 'v1.14.8';

/**
 * Vault's release tree builds against its in-tree `api` and `sdk`, which the module zip leaves out and which match
 * no published tag: they are api v1.9.2 and sdk v0.9.2 plus a few back-ported additions. api v1.10.0 carries
 * those additions. No sdk tag does without also changing behaviour Vault 1.14 relies on (v0.10 renames
 * EventSender.Send and panics on 1.14's sys paths), so the build uses sdk v0.9.2 copied locally with the
 * back-ported declarations added: two context keys, three helpers and one interface, all small.
 */
const API_MODULE = 'github.com/hashicorp/vault/api';
const API_VERSION = 'v1.10.0';
const SDK_MODULE = 'github.com/hashicorp/vault/sdk';
const SDK_VERSION = 'v0.9.2';

const SDK_LOGICAL_BACKPORTS = `package logical

import (
\t"context"
\t"io"
)

// Added by Steward's Vault build: declarations Vault 1.14's in-tree sdk has and sdk ${SDK_VERSION} lacks.

type CtxKeyRequestRole struct{}

func (c CtxKeyRequestRole) String() string {
\treturn "request-role"
}

type ctxKeyOriginalBody struct{}

func ContextOriginalBodyValue(ctx context.Context) (io.ReadCloser, bool) {
\tbody, ok := ctx.Value(ctxKeyOriginalBody{}).(io.ReadCloser)
\treturn body, ok
}

func CreateContextOriginalBody(parent context.Context, body io.ReadCloser) context.Context {
\treturn context.WithValue(parent, ctxKeyOriginalBody{}, body)
}
`;

const SDK_PHYSICAL_BACKPORTS = `package physical

import "context"

// Added by Steward's Vault build: an HA backend that fences writes to the active node's lock, and the context
// flag that exempts a write from fencing.
type FencingHABackend interface {
\tHABackend

\tRegisterActiveNodeLock(l Lock) error
}

type unfencedWriteContextKeyType string

const unfencedWriteContextKey unfencedWriteContextKeyType = "vault-disable-fencing"

func IsUnfencedWrite(ctx context.Context) bool {
\tunfenced, ok := ctx.Value(unfencedWriteContextKey).(bool)
\treturn ok && unfenced
}
`;

// Vault 1.14's enterprise-only stub paths declare create operations without an existence check. Its in-tree sdk
// accepted that; sdk v0.9.2 panics on it at start-up, so the stubs get a check (they answer "enterprise-only" anyway).
const ENTERPRISE_STUB_FILE = join('vault', 'logical_system_helpers.go');
const ENTERPRISE_STUB_FIELDS = 'Fields:     make(map[string]*framework.FieldSchema),';
const ENTERPRISE_STUB_EXISTENCE_CHECK = `${ENTERPRISE_STUB_FIELDS}
\t\t\t\t\tExistenceCheck: func(context.Context, *logical.Request, *framework.FieldData) (bool, error) { return false, nil },`;

// The same check, run again by sdk v0.9.2 whenever a backend is first used, also panics on built-in engines such as
// Transit (`cache-config`), about a minute after start when the rollback manager touches them. Vault 1.14's in-tree
// sdk tolerated such paths, so the compat copy does too.
const SDK_EXISTENCE_PANIC = 'panic(fmt.Sprintf("Pattern %v defines a CreateOperation but no ExistenceCheck", p.Pattern))';
const SDK_EXISTENCE_TOLERATED = '// tolerated, as in Vault 1.14\'s own sdk';

const ModuleDownload = z.object({ Dir: z.string().min(1), Version: z.string() });

export function findOrBuildVault(cacheDir: string, log: (line: string) => void): string {
  const onPath = which('vault');
  if (onPath) return onPath;
  const binDir = join(cacheDir, 'bin');
  const cached = join(binDir, 'vault');
  if (existsSync(cached)) return cached;
  if (!which('go')) {
    throw new Error('vault is not on PATH and Go is not installed to build it: install Go or put `vault` on PATH');
  }
  mkdirSync(binDir, { recursive: true });
  buildVault(cached, buildLogFile(cacheDir, 'vault'), log);
  return cached;
}

function buildVault(output: string, logFile: string, log: (line: string) => void): void {
  const started = Date.now();
  log(`building vault (${VAULT_MODULE}@${VAULT_VERSION}) into ${output}: this happens once per machine and takes about 7–12 minutes on two cores; go's output goes to ${logFile}`);
  log('downloading the vault and sdk module sources');
  const vaultSource = downloadModule(VAULT_MODULE, VAULT_VERSION);
  const sdkSource = downloadModule(SDK_MODULE, SDK_VERSION);
  const workDir = mkdtempSync(join(tmpdir(), 'steward-vault-build-'));
  try {
    log(`preparing the source in ${workDir}`);
    prepareSource(workDir, vaultSource, sdkSource);
    log('compiling vault (go build -mod=mod)');
    // Built beside the target and renamed into place, so a concurrent start never runs a half-written binary.
    const partial = `${output}.partial-${process.pid}`;
    runGo({ args: ['build', '-mod=mod', '-o', partial, '.'], cwd: workDir, env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' }, logFile });
    if (!existsSync(partial)) throw new Error(`building vault left no binary (go build in ${workDir}; see ${logFile})`);
    renameSync(partial, output);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  log(`built vault in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Copies the (read-only) module sources, drops Vault's replace directives, pins api and points sdk at the completed copy. */
function prepareSource(workDir: string, vaultSource: string, sdkSource: string): void {
  cpSync(vaultSource, workDir, { recursive: true });
  makeWritable(workDir);
  const sdkDir = join(workDir, 'steward-sdk-compat');
  cpSync(sdkSource, sdkDir, { recursive: true });
  makeWritable(sdkDir);
  writeFileSync(join(sdkDir, 'logical', 'steward_backports.go'), SDK_LOGICAL_BACKPORTS);
  writeFileSync(join(sdkDir, 'physical', 'steward_backports.go'), SDK_PHYSICAL_BACKPORTS);
  const frameworkBackend = join(sdkDir, 'framework', 'backend.go');
  const frameworkSource = readFileSync(frameworkBackend, 'utf8');
  if (frameworkSource.split(SDK_EXISTENCE_PANIC).length !== 3) throw new Error('preparing vault failed: sdk framework/backend.go changed shape');
  writeFileSync(frameworkBackend, frameworkSource.split(SDK_EXISTENCE_PANIC).join(SDK_EXISTENCE_TOLERATED));
  const stubs = join(workDir, ENTERPRISE_STUB_FILE);
  const stubSource = readFileSync(stubs, 'utf8');
  if (stubSource.split(ENTERPRISE_STUB_FIELDS).length !== 2) throw new Error(`preparing vault failed: ${ENTERPRISE_STUB_FILE} changed shape`);
  writeFileSync(stubs, stubSource.replace(ENTERPRISE_STUB_FIELDS, ENTERPRISE_STUB_EXISTENCE_CHECK));
  const goMod = join(workDir, 'go.mod');
  writeFileSync(goMod, dropReplaceDirectives(readFileSync(goMod, 'utf8')));
  const edits = [`-require=${API_MODULE}@${API_VERSION}`, `-require=${SDK_MODULE}@${SDK_VERSION}`, `-replace=${SDK_MODULE}=./steward-sdk-compat`];
  const edited = spawnSync('go', ['mod', 'edit', ...edits], {
    cwd: workDir,
    encoding: 'utf8',
  });
  if (edited.status !== 0) throw new Error(`preparing vault's go.mod failed: ${edited.stderr.trim()}`);
}

function downloadModule(module: string, version: string): string {
  const downloaded = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const parsed = ModuleDownload.safeParse(safeJson(downloaded.stdout));
  if (downloaded.status !== 0 || !parsed.success) {
    throw new Error(`downloading ${module}@${version} failed (exit ${downloaded.status}): ${downloaded.stderr.trim()}`);
  }
  return parsed.data.Dir;
}

/** Removes `replace` lines and blocks: they point at nested modules (`./api`, `./sdk`) the module zip leaves out. */
export function dropReplaceDirectives(goMod: string): string {
  const kept: string[] = [];
  let inBlock = false;
  for (const line of goMod.split('\n')) {
    const trimmed = line.trim();
    if (inBlock) {
      if (trimmed === ')') inBlock = false;
      continue;
    }
    if (/^replace\s*\($/.test(trimmed)) {
      inBlock = true;
      continue;
    }
    if (/^replace\s/.test(trimmed)) continue;
    kept.push(line);
  }
  return kept.join('\n');
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = statSync(path);
    if (stat.isDirectory()) makeWritable(path);
    else chmodSync(path, 0o644);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
