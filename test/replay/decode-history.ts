// Recorded histories must replay without the recording tenant's keys (which go with its Vault and database):
// every payload in a fetched history is decoded in place through the tenant's codecs before it is stored.
import type { Payload, PayloadCodec } from '@temporalio/common';

type PayloadLike = { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null };

function isPayload(value: unknown): value is PayloadLike {
  if (typeof value !== 'object' || value === null) return false;
  const metadata = (value as PayloadLike).metadata;
  return typeof metadata === 'object' && metadata !== null && metadata.encoding instanceof Uint8Array;
}

/** Decodes every payload found anywhere in `history` through `codecs` (in reverse, as the SDK does). */
export async function decodeHistoryPayloads(history: unknown, codecs: readonly PayloadCodec[]): Promise<void> {
  const found: PayloadLike[] = [];
  const walk = (node: unknown): void => {
    if (isPayload(node)) found.push(node);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null && !(node instanceof Uint8Array)) Object.values(node).forEach(walk);
  };
  walk(history);
  for (const payload of found) {
    let decoded: Payload[] = [payload as Payload];
    for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
    payload.metadata = decoded[0]!.metadata ?? {};
    payload.data = decoded[0]!.data ?? new Uint8Array();
  }
}
