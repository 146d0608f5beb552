// A process-local Tokenizer for tests and examples. It forgets everything on exit; never use it for real data.
import { randomBytes } from 'node:crypto';
import type { Tokenizer } from './tokenizer';
import { formatTokenMarker } from './markers';

export function createInMemoryTokenizer(): Tokenizer {
  const byValue = new Map<string, string>();
  const byToken = new Map<string, string>();
  return {
    tokenize(type, value) {
      const key = `${type}\u0000${value}`;
      let token = byValue.get(key);
      if (token === undefined) {
        token = formatTokenMarker(type, randomBytes(9).toString('base64url'));
        byValue.set(key, token);
        byToken.set(token, value);
      }
      return token;
    },
    detokenize(token) {
      return byToken.get(token);
    },
  };
}
