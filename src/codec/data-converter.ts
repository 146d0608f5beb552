// The one data converter of Steward, used alike by the client, the worker and the codec server: on the way out,
// PII tokenization (when given) and then encryption; on the way in, the reverse. Failures go through the
// failure converter that encodes messages and stack traces, so the codec encrypts those too.
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { createEncryptionCodec, type EncryptionCodecOptions } from './encryption-codec';
import { createFailSafeCodec, type FailSafeCodecOptions } from './fail-safe-codec';

/** Loaded by path: the SDK requires it in the client and worker and bundles it into the workflow sandbox. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export interface TenantDataConverterOptions extends EncryptionCodecOptions {
  /** Replaces PII in JSON payloads with tokens before they are encrypted, and restores it after decryption. */
  piiCodec?: PayloadCodec;
  /** Told when a failure could only be encoded redacted, or not at all (see fail-safe-codec.ts). */
  onFailureFallback?: FailSafeCodecOptions['onFallback'];
}

export function createTenantDataConverter(options: TenantDataConverterOptions): DataConverter {
  // One codec: tokenization sees plaintext, encryption comes last, and a failure is always written, redacted if need be.
  const codec = createFailSafeCodec({ inner: options.piiCodec, outer: createEncryptionCodec(options), onFallback: options.onFailureFallback });
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}
