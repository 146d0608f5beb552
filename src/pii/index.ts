// The PII engine's public surface: detect, redact one string, apply a data policy to any JSON value.
export type { PiiSpan, PiiType } from './types';
export { PiiError, type PiiErrorCode } from './errors';
export { detectPii, createPiiDetector, type DetectOptions, type PiiDetector } from './detect';
export type { PhoneOptions } from './detectors/phone';
export { redactText, createReplacer, replaceSpans, type Replacer, type RedactTextOptions, type SyncRedactionMode } from './redact';
export { maskValue, isMasked } from './mask';
export { hashValue } from './hash';
export type { Tokenizer } from './tokenizer';
export { createInMemoryTokenizer } from './in-memory-tokenizer';
export { applyDataPolicy, applyDataPolicySync, FIELD_TYPE, type DataPolicyContext } from './apply-data-policy';
