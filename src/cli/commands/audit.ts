// `steward audit verify|list|export|public-key`: a tenant's tamper-evident audit trail. Verify checks the chain and
// every signed checkpoint and purge marker (exit 0 intact, 1 tampered); export writes JSONL that can be verified offline with the
// tenant's public key.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Pool } from 'pg';
import { readTrail, type TrailFilter } from '../../audit/audit-trail';
import { verifyChain, type VerifyReport } from '../../audit/chain-verify';
import { createCheckpointSigner, type CheckpointSigner } from '../../audit/checkpoint-signer';
import { checkpointLine, entryLine, parseExport, purgeMarkerLine, trailLine } from '../../audit/export-format';
import { verifyStoredTrail, type TrailVerification } from '../../audit/trail-verification';
import { loadCodecConfig } from '../../codec/config';
import { loadRuntimeConfig } from '../../config/runtime';
import { createPool } from '../../db/pool';
import { assertTenantId, type TenantId } from '../../tenancy/tenant-id';
import { findTenant, tenantNotFound } from '../../tenancy/tenant-registry';
import { EXIT_FAILURE, UsageError } from '../errors';

interface FilterOptions {
  tenant: string;
  run?: string;
  type?: string;
  since?: string;
}

/** Opens the application's pool (row-level security applies) and the tenant's checkpoint signer. */
async function withTrail<T>(tenantArgument: string, work: (pool: Pool, signer: CheckpointSigner, tenant: TenantId) => Promise<T>): Promise<T> {
  const tenant = assertTenantId(tenantArgument);
  const config = loadRuntimeConfig();
  const codec = loadCodecConfig(config.secretsEnv);
  const pool = createPool(config.appDatabaseUrl, { max: 2 });
  const signer = createCheckpointSigner({ vault: codec.vault, mount: codec.transitMount });
  try {
    if (!(await findTenant(pool, tenant))) throw tenantNotFound(tenant);
    return await work(pool, signer, tenant);
  } finally {
    signer.close();
    await pool.end();
  }
}

function parseFilter(options: FilterOptions): TrailFilter {
  let since: Date | undefined;
  if (options.since !== undefined) {
    since = new Date(options.since);
    if (Number.isNaN(since.getTime())) throw new UsageError(`--since: "${options.since}" is not a date (use ISO 8601, e.g. 2026-01-31T00:00:00Z)`);
  }
  return { runId: options.run, type: options.type, since };
}

function describeVerdict(subject: string, report: VerifyReport & { legacyEntries?: number }): string {
  const legacy = report.legacyEntries ? `; ${report.legacyEntries} unchained entries from before the chain began (not verifiable)` : '';
  const purged = report.purgedThrough ? `; entries 1..${report.purgedThrough} purged by retention under a signed marker` : '';
  if (report.fault) return `${subject} TAMPERED: entry ${report.fault.seq} ${report.fault.kind}: ${report.fault.detail}\n`;
  return `${subject} intact: ${report.entries} entries, ${report.checkpoints} signed checkpoints${purged}${legacy}\n`;
}

function printVerdict(subject: string, report: VerifyReport | TrailVerification, json: boolean | undefined): void {
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : describeVerdict(subject, report));
  if (!report.intact) process.exitCode = EXIT_FAILURE;
}

function readPublicKey(path: string): KeyObject {
  try {
    return createPublicKey(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--public-key: ${path} is not a readable PEM public key (${(error as Error).message})`);
  }
}

function verifyFile(file: string, publicKeyPath: string | undefined, json: boolean | undefined): void {
  if (!publicKeyPath) throw new UsageError('--public-key: required with --file (get it with `steward audit public-key --tenant T`)');
  const key = readPublicKey(publicKeyPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  const trail = parseExport(text);
  const { tenant, entries, checkpoints, purgeMarkers, complete } = trail;
  const report = verifyChain({ tenant, entries, checkpoints, purgeMarkers, publicKey: () => key, complete });
  printVerdict(`exported audit trail of tenant ${trail.tenant}${trail.complete ? '' : ' (filtered: entries checked one by one)'}`, report, json);
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description("a tenant's hash-chained, signed audit trail");

  audit
    .command('verify')
    .option('--tenant <id>', 'verify the stored trail of this tenant (and sign a checkpoint at its newest entry when intact)')
    .option('--file <export.jsonl>', 'verify an exported trail offline instead')
    .option('--public-key <pem-file>', "the tenant's public key, for --file")
    .option('--json', 'print the report as one JSON object')
    .description('check every entry, link and signed checkpoint; names the first entry at fault; exit 0 intact, 1 tampered')
    .action(async (options: { tenant?: string; file?: string; publicKey?: string; json?: boolean }) => {
      if ((options.tenant === undefined) === (options.file === undefined)) throw new UsageError('give exactly one of --tenant (stored trail) or --file (an export)');
      if (options.file !== undefined) return verifyFile(options.file, options.publicKey, options.json);
      const tenant = options.tenant ?? '';
      const { report } = await withTrail(tenant, (pool, signer, id) => verifyStoredTrail(pool, signer, id));
      printVerdict(`audit trail of tenant ${tenant}`, report, options.json);
    });

  for (const [name, description] of [
    ['list', 'print entries, one a line (JSONL with --json)'],
    ['export', 'write JSONL for a SIEM or offline verification: a trail line, entries with their hashes, signed checkpoints'],
  ] as const) {
    audit
      .command(name)
      .requiredOption('--tenant <id>', 'the tenant whose trail is read')
      .option('--run <id>', 'only entries of this run id')
      .option('--type <type>', 'only entries of this event type')
      .option('--since <time>', 'only entries created at or after this ISO 8601 time')
      .option('--json', 'JSONL output (export always writes JSONL)')
      .description(description)
      .action(async (options: FilterOptions & { json?: boolean }) => {
        const filter = parseFilter(options);
        const lines = await withTrail(options.tenant, async (pool, signer, tenant) => {
          // An export carries a checkpoint at the newest entry, made by a verification of the whole trail.
          const verified = name === 'export' ? (await verifyStoredTrail(pool, signer, tenant)).report : undefined;
          if (verified && !verified.intact) process.stderr.write(`steward: warning: ${describeVerdict(`the audit trail of tenant ${tenant}`, verified)}`);
          const snapshot = await readTrail(pool, tenant, filter);
          if (name === 'list' && !options.json) {
            return snapshot.entries.map((entry) => `${entry.seq}\t${entry.content.createdAt}\t${entry.content.type}\t${entry.content.runId ?? '-'}\t${entry.hash}`);
          }
          const entries = snapshot.entries.map(entryLine);
          if (name === 'list') return entries;
          return [trailLine(tenant, filter), ...entries, ...snapshot.checkpoints.map(checkpointLine), ...snapshot.purgeMarkers.map(purgeMarkerLine)];
        });
        if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
      });
  }

  audit
    .command('public-key')
    .requiredOption('--tenant <id>', 'the tenant whose checkpoint-signing public key is printed')
    .description("print the newest public key of the tenant's Vault Transit signing key (PEM), for offline verification")
    .action(async (options: { tenant: string }) => {
      const keys = await withTrail(options.tenant, (_pool, signer, tenant) => signer.publicKeys(tenant));
      const newest = Math.max(...keys.keys());
      const key = keys.get(newest);
      if (!key) throw new UsageError(`tenant ${options.tenant} has no audit signing key yet`);
      process.stdout.write(String(key.export({ type: 'spki', format: 'pem' })));
    });
}
