// Verifies a tenant's audit chain: every entry's hash, every link, the recorded head, every signed checkpoint and
// every signed purge marker. Pure (no I/O), so the database check and the offline check of an export reach the same
// verdict. A trail whose oldest entries were purged starts at its newest purge marker instead of the genesis hash.
import { verify, type KeyObject } from 'node:crypto';
import { checkpointMessage, entryHash, genesisHash, purgeMarkerMessage, type ChainedContent } from './chain-hash';

export interface ChainEntry {
  seq: number;
  prevHash: string;
  hash: string;
  content: ChainedContent;
}

export interface SignedCheckpoint {
  seq: number;
  hash: string;
  keyVersion: number;
  /** Vault's form, `vault:v<version>:<base64>`. */
  signature: string;
}

/** Entries 1..seq were purged by retention; entry seq's hash was `hash`. Signed like a checkpoint, over its own message. */
export type PurgeMarker = SignedCheckpoint;

export type FaultKind = 'modified' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'signature';

export interface ChainFault {
  kind: FaultKind;
  /** The first entry at fault (for `signature`, the checkpoint's sequence number). */
  seq: number;
  detail: string;
}

export interface VerifyInput {
  tenant: string;
  /** Sorted by seq. */
  entries: ChainEntry[];
  checkpoints: SignedCheckpoint[];
  /** Public keys by Transit key version; a single key for every version when read from a file. */
  publicKey: (keyVersion: number) => KeyObject | undefined;
  /** Whether `entries` is the whole chain; a filtered export holds only some entries, so gaps are expected. */
  complete: boolean;
  head?: { seq: number; hash: string };
  /** Rows without a place in the chain that were written after it began (forged, as no writer makes them). */
  strayIds?: string[];
  /** Signed records of retention purges; the newest one before the first entry is where the trail starts. */
  purgeMarkers?: PurgeMarker[];
}

export interface VerifyReport {
  intact: boolean;
  entries: number;
  checkpoints: number;
  lastSeq: number;
  lastHash: string;
  /** Entries 1..purgedThrough were purged under a signed marker. */
  purgedThrough?: number;
  fault?: ChainFault;
}

/** Where the walk starts: the genesis hash, or the newest purge marker before the first entry. */
interface ChainStart {
  seq: number;
  hash: string;
  marker?: PurgeMarker;
}

function signatureBytes(signature: string, keyVersion: number): Buffer | undefined {
  const match = /^vault:v(\d+):([A-Za-z0-9+/=]+)$/.exec(signature);
  if (!match || Number(match[1]) !== keyVersion) return undefined;
  return Buffer.from(match[2] ?? '', 'base64');
}

function signedByTenant(input: VerifyInput, signed: SignedCheckpoint, message: Buffer): boolean {
  const key = input.publicKey(signed.keyVersion);
  const bytes = signatureBytes(signed.signature, signed.keyVersion);
  return key !== undefined && bytes !== undefined && verify(null, message, key, bytes);
}

/** Checks every marker's signature, then picks the newest marker older than the first entry as the chain's start. */
function findStart(input: VerifyInput): ChainStart | ChainFault {
  const markers = [...(input.purgeMarkers ?? [])].sort((a, b) => a.seq - b.seq);
  for (const marker of markers) {
    if (!signedByTenant(input, marker, purgeMarkerMessage(input.tenant, marker.seq, marker.hash))) {
      return {
        kind: 'signature',
        seq: marker.seq,
        detail: `the purge marker at entry ${marker.seq} does not carry a valid signature of the tenant's key (version ${marker.keyVersion}): entries deleted under it were not purged by retention`,
      };
    }
  }
  const firstSeq = input.entries[0]?.seq ?? Number.POSITIVE_INFINITY;
  const marker = markers.filter((candidate) => candidate.seq < firstSeq).at(-1);
  return marker ? { seq: marker.seq, hash: marker.hash, marker } : { seq: 0, hash: genesisHash(input.tenant) };
}

function walkEntries(input: VerifyInput, start: ChainStart): ChainFault | undefined {
  const seqOfHash = new Map(input.entries.map((entry) => [entry.hash, entry.seq]));
  let expectedSeq = start.seq + 1;
  let running = start.hash;
  for (const entry of input.entries) {
    const adjacent = entry.seq === expectedSeq;
    if (input.complete && entry.seq > expectedSeq) {
      const missing = entry.seq - 1 === expectedSeq ? `entry ${expectedSeq} is` : `entries ${expectedSeq}..${entry.seq - 1} are`;
      return { kind: 'deleted', seq: expectedSeq, detail: `${missing} missing before entry ${entry.seq}` };
    }
    if (entry.seq < expectedSeq) return { kind: 'inserted', seq: entry.seq, detail: `a second entry claims sequence number ${entry.seq}` };
    if (entryHash(input.tenant, entry.prevHash, entry.content) !== entry.hash) {
      return { kind: 'modified', seq: entry.seq, detail: `entry ${entry.seq}'s content no longer matches its hash` };
    }
    if (adjacent && entry.prevHash !== running && start.marker && entry.seq === start.seq + 1) {
      return { kind: 'modified', seq: entry.seq, detail: `entry ${entry.seq} does not link to the hash the signed purge marker at entry ${start.seq} records` };
    }
    if (adjacent && entry.prevHash !== running) {
      const linked = seqOfHash.get(entry.prevHash);
      if (linked !== undefined && linked >= entry.seq) {
        return { kind: 'reordered', seq: entry.seq, detail: `entry ${entry.seq} links to entry ${linked}, which now comes after it` };
      }
      if (linked !== undefined) {
        return { kind: 'inserted', seq: linked + 1, detail: `entry ${entry.seq} links to entry ${linked}: entry ${linked + 1} was inserted between them` };
      }
      return {
        kind: 'modified',
        seq: entry.seq - 1,
        detail: `entry ${entry.seq} links to a hash no entry has: entry ${entry.seq - 1} was rewritten with a recomputed hash (or an entry before it was deleted and the rest renumbered)`,
      };
    }
    expectedSeq = entry.seq + 1;
    running = entry.hash;
  }
  return undefined;
}

function checkHead(input: VerifyInput, lastSeq: number, lastHash: string): ChainFault | undefined {
  const head = input.head;
  if (!head || !input.complete) return undefined;
  if (head.seq > lastSeq) return { kind: 'truncated', seq: lastSeq + 1, detail: `the chain head records ${head.seq} entries but the trail ends at entry ${lastSeq}` };
  if (head.seq < lastSeq) return { kind: 'inserted', seq: head.seq + 1, detail: `entries after ${head.seq}, the chain head, were added outside the chain` };
  if (head.hash !== lastHash) return { kind: 'modified', seq: lastSeq, detail: `entry ${lastSeq}'s hash differs from the one the chain head records` };
  return undefined;
}

function checkCheckpoints(input: VerifyInput, lastSeq: number): ChainFault | undefined {
  const hashAt = new Map(input.entries.map((entry) => [entry.seq, entry.hash]));
  for (const marker of input.purgeMarkers ?? []) {
    const hash = hashAt.get(marker.seq);
    if (hash !== undefined && hash !== marker.hash) {
      return { kind: 'modified', seq: marker.seq, detail: `entry ${marker.seq} differs from the one its signed purge marker records` };
    }
  }
  for (const checkpoint of input.checkpoints) {
    if (!signedByTenant(input, checkpoint, checkpointMessage(input.tenant, checkpoint.seq, checkpoint.hash))) {
      return { kind: 'signature', seq: checkpoint.seq, detail: `the checkpoint at entry ${checkpoint.seq} does not carry a valid signature of the tenant's key (version ${checkpoint.keyVersion})` };
    }
    if (input.complete && checkpoint.seq > lastSeq) {
      return { kind: 'truncated', seq: lastSeq + 1, detail: `a signed checkpoint vouches for entry ${checkpoint.seq} but the trail ends at entry ${lastSeq}` };
    }
    const hash = hashAt.get(checkpoint.seq);
    if (hash !== undefined && hash !== checkpoint.hash) {
      return { kind: 'modified', seq: checkpoint.seq, detail: `entry ${checkpoint.seq} differs from the one its signed checkpoint vouches for: the chain up to it was rewritten` };
    }
  }
  return undefined;
}

export function verifyChain(input: VerifyInput): VerifyReport {
  const start = findStart(input);
  const counts = { entries: input.entries.length, checkpoints: input.checkpoints.length };
  if ('kind' in start) return { intact: false, ...counts, lastSeq: 0, lastHash: genesisHash(input.tenant), fault: start };
  const last = input.entries.at(-1);
  const lastSeq = last?.seq ?? start.seq;
  const lastHash = last?.hash ?? start.hash;
  const stray = input.strayIds?.[0];
  const fault =
    walkEntries(input, start) ??
    checkHead(input, lastSeq, lastHash) ??
    checkCheckpoints(input, lastSeq) ??
    (stray === undefined ? undefined : { kind: 'inserted' as const, seq: 0, detail: `row id ${stray} has no place in the chain and was written after the chain began` });
  const purged = start.marker ? { purgedThrough: start.seq } : {};
  return { intact: fault === undefined, ...counts, lastSeq, lastHash, ...purged, ...(fault ? { fault } : {}) };
}
