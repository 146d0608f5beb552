// Reads an HTTP response body as text up to a byte limit, streaming, so an endless or huge answer is cut off at the
// limit instead of being buffered whole.
import { StewardError } from '../errors';

/** Reads `response`'s body, failing with LIMIT_EXCEEDED (naming `where` and the limit) once it passes `maxBytes`. */
export async function readBoundedText(response: Response, maxBytes: number, where: string): Promise<string> {
  const tooLarge = () => new StewardError('LIMIT_EXCEEDED', `${where}: the response is larger than the limit of ${maxBytes} bytes`);
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, length).toString('utf8');
}
