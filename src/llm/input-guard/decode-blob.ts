// Decodes a base64/base64url or hex blob to text when it is mostly printable ASCII, so the guard can read what it
// carries. Hand-written rather than Buffer/atob so it stays pure and workflow-safe.

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeBase64Bytes(blob: string): number[] | undefined {
  const text = blob.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = BASE64_ALPHABET.indexOf(char);
    if (value < 0) return undefined;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return bytes;
}

function decodeHexBytes(blob: string): number[] {
  const text = blob.replace(/^0x/i, '');
  const bytes: number[] = [];
  for (let index = 0; index + 1 < text.length; index += 2) bytes.push(parseInt(text.slice(index, index + 2), 16));
  return bytes;
}

function asPrintableText(bytes: number[] | undefined): string | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  const printable = bytes.filter((byte) => (byte >= 0x20 && byte <= 0x7e) || byte === 0x0a || byte === 0x0d || byte === 0x09);
  return printable.length / bytes.length >= 0.9 ? String.fromCharCode(...printable) : undefined;
}

export function decodeBlob(blob: string, encoding: 'base64' | 'hex'): string | undefined {
  return asPrintableText(encoding === 'base64' ? decodeBase64Bytes(blob) : decodeHexBytes(blob));
}
