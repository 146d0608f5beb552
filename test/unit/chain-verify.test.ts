// The verifier's handling of purge markers, with a local ed25519 key in place of the tenant's Vault key: a trail
// purged under a signed marker verifies from the marker on; a gap with no marker, a marker signed over another
// message, and an entry that no longer links to the marker are each named.
import { generateKeyPairSync, sign } from 'node:crypto';
import { chainedContent } from '../../src/audit/audit-log';
import { checkpointMessage, entryHash, genesisHash, purgeMarkerMessage } from '../../src/audit/chain-hash';
import { verifyChain, type ChainEntry, type PurgeMarker } from '../../src/audit/chain-verify';

const TENANT = 'acme';
const { publicKey, privateKey } = generateKeyPairSync('ed25519');

function chain(count: number): ChainEntry[] {
  const entries: ChainEntry[] = [];
  let prevHash = genesisHash(TENANT);
  for (let seq = 1; seq <= count; seq++) {
    const content = chainedContent({ type: 'test.step', step: `s${seq}` }, { seq }, new Date(Date.UTC(2026, 0, 1, 0, 0, seq)));
    const hash = entryHash(TENANT, prevHash, content);
    entries.push({ seq, prevHash, hash, content });
    prevHash = hash;
  }
  return entries;
}

function signed(message: Buffer, at: ChainEntry): PurgeMarker {
  return { seq: at.seq, hash: at.hash, keyVersion: 1, signature: `vault:v1:${sign(null, message, privateKey).toString('base64')}` };
}

const marker = (at: ChainEntry) => signed(purgeMarkerMessage(TENANT, at.seq, at.hash), at);

function verify(entries: ChainEntry[], purgeMarkers: PurgeMarker[]) {
  const last = entries.at(-1);
  const head = last ? { seq: last.seq, hash: last.hash } : undefined;
  return verifyChain({ tenant: TENANT, entries, checkpoints: [], purgeMarkers, publicKey: () => publicKey, complete: true, head });
}

const trail = chain(10);
const at = (seq: number) => trail[seq - 1] as ChainEntry;

test('a trail purged through entry 4 under a signed marker verifies from the marker on', () => {
  expect(verify(trail.slice(4), [marker(at(4))])).toMatchObject({ intact: true, entries: 6, purgedThrough: 4, lastSeq: 10 });
});

test('with several markers the newest before the first entry is where the trail starts', () => {
  expect(verify(trail.slice(4), [marker(at(2)), marker(at(4))])).toMatchObject({ intact: true, purgedThrough: 4 });
});

test('the oldest entries deleted with no marker: entry 1 "deleted"', () => {
  expect(verify(trail.slice(4), []).fault).toMatchObject({ kind: 'deleted', seq: 1 });
});

test('entries deleted beyond the marker: the first missing one "deleted"', () => {
  expect(verify(trail.slice(6), [marker(at(4))]).fault).toMatchObject({ kind: 'deleted', seq: 5 });
});

test("a marker carrying a checkpoint's signature over the same entry: \"signature\" at the marker", () => {
  const replayed = signed(checkpointMessage(TENANT, 4, at(4).hash), at(4));
  expect(verify(trail.slice(4), [replayed]).fault).toMatchObject({ kind: 'signature', seq: 4, detail: expect.stringContaining('purge marker') });
});

test('a marker recording another hash than the purged entry had: the next entry "modified", as it no longer links', () => {
  const forged = signed(purgeMarkerMessage(TENANT, 4, at(3).hash), { ...at(4), hash: at(3).hash });
  expect(verify(trail.slice(4), [forged]).fault).toMatchObject({ kind: 'modified', seq: 5 });
});

test('a marker at an entry still present must record that entry\'s hash', () => {
  const wrong = signed(purgeMarkerMessage(TENANT, 4, at(3).hash), { ...at(4), hash: at(3).hash });
  expect(verify(trail, [wrong]).fault).toMatchObject({ kind: 'modified', seq: 4 });
  expect(verify(trail, [marker(at(4))])).toMatchObject({ intact: true });
});
