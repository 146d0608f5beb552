// The spellings a secret value takes when a target (or a library) re-encodes it: URL-encoding, JSON escaping, hex,
// and base64 / base64url. An echoed `Authorization` header arrives base64-encoded inside a longer string
// (`Bearer <secret>`), so the secret's base64 starts at any of three bit alignments; for each, only the characters
// that depend on the secret's bytes alone are kept, and those are what the scrubber looks for.

export type SecretEncoding = 'plain' | 'url' | 'json' | 'hex' | 'base64' | 'base64url';

export interface EncodedForm {
  text: string;
  encoding: SecretEncoding;
}

/** Encoded forms shorter than this would match unrelated base64 or hex text by chance. */
const MIN_ENCODED_LENGTH = 8;

export function encodedFormsOf(value: string): EncodedForm[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: EncodedForm[] = [
    { text: value, encoding: 'plain' },
    { text: encodeURIComponent(value), encoding: 'url' },
    { text: encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()), encoding: 'url' },
    { text: encodeURIComponent(value).replace(/%20/g, '+'), encoding: 'url' },
    { text: JSON.stringify(value).slice(1, -1), encoding: 'json' },
    { text: bytes.toString('hex'), encoding: 'hex' },
    { text: bytes.toString('hex').toUpperCase(), encoding: 'hex' },
  ];
  for (const shift of [0, 1, 2]) {
    const inner = base64Inner(bytes, shift);
    forms.push({ text: inner, encoding: 'base64' }, { text: inner.replace(/\+/g, '-').replace(/\//g, '_'), encoding: 'base64url' });
  }
  const seen = new Set<string>();
  return forms.filter((form) => {
    if (seen.has(form.text) || (form.encoding !== 'plain' && form.text.length < MIN_ENCODED_LENGTH)) return false;
    seen.add(form.text);
    return true;
  });
}

/** The base64 characters of `bytes` placed `shift` bytes into a 3-byte group that depend on `bytes` alone. */
function base64Inner(bytes: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64').replace(/=+$/, '');
  const first = Math.ceil((8 * shift) / 6);
  const last = Math.floor((8 * (shift + bytes.length)) / 6);
  return encoded.slice(first, last);
}
