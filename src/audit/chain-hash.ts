// The hash chain's arithmetic, pure so that the database verifier, the offline verifier and the writer agree byte
// for byte: an entry's hash is sha-256 over the RFC 8785 canonical JSON of its content and its predecessor's hash.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const CHAIN_VERSION = 1;

/** What an entry's hash covers. Absent fields are null so that a stored row and a written event hash alike. */
/** Where an entry sits in its tenant's chain: its sequence number and its hash. */
export interface ChainPosition {
  seq: number;
  hash: string;
}

export interface ChainedContent {
  type: string;
  runId: string | null;
  workflowId: string | null;
  step: string | null;
  attempt: number | null;
  userId: string | null;
  agentId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function canonical(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('chain content has no JSON form');
  return text;
}

/** The hash entry 1 links to: fixed per tenant, so one tenant's chain can never be spliced into another's. */
export function genesisHash(tenant: string): string {
  return sha256Hex(canonical({ v: CHAIN_VERSION, genesis: tenant }));
}

/** The sequence number is not hashed: order is proven by the links, so a swap shows as broken links. */
export function entryHash(tenant: string, prevHash: string, content: ChainedContent): string {
  return sha256Hex(canonical({ v: CHAIN_VERSION, tenant, prev: prevHash, entry: content }));
}

/** The bytes a checkpoint signature covers. */
export function checkpointMessage(tenant: string, seq: number, hash: string): Buffer {
  return Buffer.from(canonical({ v: CHAIN_VERSION, checkpoint: { tenant, seq, hash } }), 'utf8');
}

/**
 * The bytes a purge marker's signature covers: a message of its own kind, so that a checkpoint (which vouches that
 * entries up to seq existed) can never pass for a marker (which vouches that they were purged on purpose).
 */
export function purgeMarkerMessage(tenant: string, seq: number, hash: string): Buffer {
  return Buffer.from(canonical({ v: CHAIN_VERSION, purged: { tenant, through: seq, hash } }), 'utf8');
}

/** A payload as it reads back from jsonb: undefined members dropped, so the writer hashes what the reader sees. */
export function normalizePayload(payload: Record<string, unknown> | undefined): Record<string, unknown> {
  return JSON.parse(JSON.stringify(payload ?? {})) as Record<string, unknown>;
}
