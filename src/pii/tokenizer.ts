// The contract between redaction and a token vault: a value goes in, a stable reversible token comes out.
// The Postgres-backed, tenant-partitioned vault implements it in the codec work.
import type { PiiType } from './types';

export interface Tokenizer {
  /** Same (type, value) → same token, formatted by `formatTokenMarker` (`[pii:email:tok_…]`). */
  tokenize(type: PiiType, value: string): Promise<string> | string;
  /** The original value, or undefined for a token this vault never issued (or has shredded). */
  detokenize(token: string): Promise<string | undefined> | string | undefined;
}
