// The codec chain of a tenant (PII tokenization, then encryption) as one PayloadCodec that never leaves a failure
// unencoded. When a data payload cannot be encoded (the PII vault or the key store is unreachable), encoding throws
// and Temporal fails that task, to be retried. But the SDK then encodes that failure through this same codec, and a
// second throw there tears down the whole Worker. So the payloads of a failure (marked by the failure converter)
// fall back: PII is redacted for good instead of tokenized, and if even encryption is out of reach, the failure is
// replaced by a fixed message that holds nothing of the run.
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { createPiiDetector } from '../pii/detect';
import { BUILTIN_DETECTORS } from '../pii/policy';
import { replaceSpans } from '../pii/redact';
import { FAILURE_METADATA_KEY, isFailurePayload } from './failure-marker';

export interface FailSafeCodecOptions {
  /** Applied first on encode, last on decode (tokenization). */
  inner?: PayloadCodec;
  /** Applied last on encode, first on decode (encryption). */
  outer: PayloadCodec;
  /** Told when a failure had to be redacted or replaced; gets the code of what went wrong, never the data. */
  onFallback?: (event: { stage: 'redacted' | 'replaced'; reason: string }) => void;
}

const detector = createPiiDetector({ detectors: BUILTIN_DETECTORS });
const utf8 = new TextEncoder();
const JSON_PLAIN = 'json/plain';
/** What a failure reads when nothing of it could be encoded: no data of the run, so it may travel in clear. */
export const UNENCODABLE_FAILURE_MESSAGE = 'the failure could not be encoded (the codec could not reach the PII vault or the key store); the task is retried';

export function createFailSafeCodec(options: FailSafeCodecOptions): PayloadCodec {
  const { inner, outer } = options;
  const encodeBoth = async (payloads: Payload[], context?: SerializationContext) =>
    outer.encode(inner ? await inner.encode(payloads, context) : payloads, context);

  return {
    async encode(payloads, context) {
      try {
        return await encodeBoth(payloads, context);
      } catch (error) {
        if (payloads.length === 0 || !payloads.every(isFailurePayload)) throw error;
        const redacted = payloads.map(redactPayload);
        try {
          const encoded = await outer.encode(redacted, context);
          options.onFallback?.({ stage: 'redacted', reason: reasonOf(error) });
          return encoded;
        } catch (outerError) {
          options.onFallback?.({ stage: 'replaced', reason: reasonOf(outerError) });
          return payloads.map(() => UNENCODABLE_FAILURE);
        }
      }
    },
    async decode(payloads, context) {
      const opened = await outer.decode(payloads, context);
      return inner ? inner.decode(opened, context) : opened;
    },
  };
}

const UNENCODABLE_FAILURE: Payload = {
  metadata: { encoding: utf8.encode(JSON_PLAIN), [FAILURE_METADATA_KEY]: new Uint8Array([0x31]) },
  data: utf8.encode(JSON.stringify({ message: UNENCODABLE_FAILURE_MESSAGE, stack_trace: '' })),
};

/** The payload with every detected PII value replaced by its type; non-JSON payloads cannot be read, so go whole. */
function redactPayload(payload: Payload): Payload {
  const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString('utf8') : '';
  if (encoding !== JSON_PLAIN || !payload.data) return UNENCODABLE_FAILURE;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.data).toString('utf8'));
  } catch {
    return UNENCODABLE_FAILURE;
  }
  return { ...payload, data: utf8.encode(JSON.stringify(redactValue(value))) };
}

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return replaceSpans(value, detector.detect(value), (type) => `[${type} redacted]`);
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) >= 1_000_000 ? redactValue(String(value)) : value;
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, String(redactValue(key)), { value: redactValue(item), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
}
