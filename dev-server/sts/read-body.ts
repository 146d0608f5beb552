// Reads a small request body in full; the STS's endpoints take form or JSON bodies of a few kilobytes at most.
import type { IncomingMessage } from 'node:http';

const LIMIT_BYTES = 56 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
