// The codec server's streamed answer is the same JSON a single JSON.stringify would give, whatever the payload sizes.
import { text } from 'node:stream/consumers';
import type { Payload } from '@temporalio/common';
import { payloadsJsonStream } from '../../src/servers/payloads-json';

const bytes = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + 7) % 256);
const asJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

const cases: [string, Payload[]][] = [
  ['no payloads', []],
  ['an empty payload', [{ metadata: {}, data: new Uint8Array() }]],
  ['small payloads with metadata', [{ metadata: { encoding: Buffer.from('json/plain') }, data: bytes(5) }, { metadata: { a: bytes(3), b: bytes(4) }, data: bytes(1) }]],
  // Around and across the piece size (768 KiB): the pieces' base64 must join without padding in between.
  ['payloads larger than one piece', [{ metadata: {}, data: bytes(3 * 256 * 1024 + 1) }, { metadata: {}, data: bytes(2 * 3 * 256 * 1024 - 1) }]],
];

test.each(cases)('%s stream as the JSON they stand for', async (_name, payloads) => {
  const streamed = await text(payloadsJsonStream(payloads));
  expect(JSON.parse(streamed)).toEqual({ payloads: payloads.map(asJson) });
  expect(streamed).toBe(JSON.stringify({ payloads: payloads.map(asJson) }));
});
