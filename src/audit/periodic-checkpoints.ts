// Signed checkpoints every N entries, made as entries are appended: whoever later rewrites the table must then also
// forge a signature for every stretch of N entries, not only for what was verified or exported. Signing happens
// after the append has resolved and off the append path, so appends never wait on Vault.
import type { Pool } from 'pg';
import type { TenantId } from '../tenancy/tenant-id';
import { saveCheckpoint } from './audit-trail';
import { checkpointMessage, type ChainPosition } from './chain-hash';
import type { CheckpointSigner } from './checkpoint-signer';

export interface PeriodicCheckpoints {
  signer: CheckpointSigner;
  /** A checkpoint is signed at the first append batch that reaches each multiple of `every`. */
  every: number;
  /** A failed signature is reported, not retried: the next multiple (or the next verify) signs again. */
  onError: (error: unknown, tenant: TenantId) => void;
}

const configured = new WeakMap<Pool, PeriodicCheckpoints>();

interface TenantSigning {
  /** The newest position that reached a multiple while a signature was in flight: signed when that one is done. */
  next?: ChainPosition;
}

/** Tenants with a signature in flight, per pool: one at a time, so a slow Vault never piles up signatures. */
const signing = new WeakMap<Pool, Map<TenantId, TenantSigning>>();

/** Makes appends through `pool` sign a checkpoint every `every` entries of each tenant's chain. */
export function signCheckpointsPeriodically(pool: Pool, options: PeriodicCheckpoints): void {
  if (!Number.isInteger(options.every) || options.every < 1) throw new TypeError(`checkpoint interval must be a positive integer, got ${options.every}`);
  configured.set(pool, options);
}

/** Whether a batch of appended sequence numbers reached a multiple of `every` (batches hold increasing seqs). */
export function reachesMultiple(seqs: number[], every: number): boolean {
  const first = seqs[0];
  const last = seqs.at(-1);
  if (first === undefined || last === undefined) return false;
  return Math.floor(last / every) > Math.floor((first - 1) / every);
}

function signAt(pool: Pool, options: PeriodicCheckpoints, tenant: TenantId, position: ChainPosition, tenants: Map<TenantId, TenantSigning>): void {
  const state: TenantSigning = {};
  tenants.set(tenant, state);
  void options.signer
    .sign(tenant, checkpointMessage(tenant, position.seq, position.hash))
    .then((signature) => saveCheckpoint(pool, tenant, { ...position, ...signature }))
    .catch((error: unknown) => options.onError(error, tenant))
    .finally(() => {
      tenants.delete(tenant);
      if (state.next) signAt(pool, options, tenant, state.next, tenants);
    });
}

/** After a committed batch: signs a checkpoint at its newest entry if the batch reached a multiple of N. */
export function checkpointIfCrossed(pool: Pool, tenant: TenantId, positions: ChainPosition[]): void {
  const options = configured.get(pool);
  const newest = positions.at(-1);
  if (!options || !newest || !reachesMultiple(positions.map((position) => position.seq), options.every)) return;
  let tenants = signing.get(pool);
  if (!tenants) signing.set(pool, (tenants = new Map()));
  const inFlight = tenants.get(tenant);
  if (inFlight) inFlight.next = newest;
  else signAt(pool, options, tenant, newest, tenants);
}
