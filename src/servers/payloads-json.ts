// The codec server's answer, `{"payloads":[{"metadata":{…},"data":"<base64>"}]}`, written as a stream of small
// pieces. A decoded payload may be tens of MiB: built as one JSON string it would sit in memory three times over (the
// base64 string, the JSON text, the socket's write buffer) for as long as the caller takes to read it. Streamed, the
// answer costs a few MiB beyond the decoded bytes, and the socket's back-pressure paces it to the reader.
import { Readable } from 'node:stream';
import type { Payload } from '@temporalio/common';

/** Bytes encoded per piece: a multiple of 3, so the pieces' base64 joins without padding in between. */
const PIECE_BYTES = 3 * 256 * 1024;

function* base64Pieces(bytes: Uint8Array): Generator<string> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let start = 0; start < buffer.length; start += PIECE_BYTES) yield buffer.subarray(start, start + PIECE_BYTES).toString('base64');
}

function* pieces(payloads: Payload[]): Generator<string> {
  yield '{"payloads":[';
  for (const [index, payload] of payloads.entries()) {
    const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
    yield `${index === 0 ? '' : ','}{"metadata":${JSON.stringify(metadata)},"data":"`;
    yield* base64Pieces(payload.data ?? new Uint8Array());
    yield '"}';
  }
  yield ']}';
}

export function payloadsJsonStream(payloads: Payload[]): Readable {
  return Readable.from(pieces(payloads), { objectMode: false });
}
