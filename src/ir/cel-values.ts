// Converts JSON values to CEL values and back. Workflow-safe.
// CEL is strictly typed: integral JSON numbers become CEL ints (BigInt) so `input.amount * 2` works, and every
// result is turned back into plain JSON, because Temporal's payload converter cannot serialize BigInt.
import { ExpressionError } from './expression-error';
import type { JsonValue } from './schema';

/** A JSON value as CEL sees it: integral numbers become BigInt, the rest is copied unchanged. */
export function toCelValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCelValue);
  if (isPlainObject(value)) {
    // fromEntries defines own properties, so a `__proto__` key stays data.
    return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined).map(([key, item]) => [key, toCelValue(item)]));
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function resultError(message: string, source: string): ExpressionError {
  return new ExpressionError('result', `the result ${message}`, source);
}

function toSafeNumber(value: bigint, source: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw resultError('holds an integer outside ±(2^53 - 1), which JSON numbers cannot carry exactly', source);
  }
  return Number(value);
}

/** A CEL result as JSON: BigInt → number (safe range checked), timestamps → ISO text, durations → CEL text (`300s`). */
export function fromCelValue(value: unknown, source: string): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return toSafeNumber(value, source);
    case 'number':
      if (!Number.isFinite(value)) throw resultError('holds a number that is not finite (NaN or infinity)', source);
      return value;
    case 'object':
      return fromCelObject(value, source);
    default:
      throw resultError(`holds a ${typeof value}, which is not JSON`, source);
  }
}

function fromCelObject(value: object, source: string): JsonValue {
  if (Array.isArray(value)) return value.map((item) => fromCelValue(item, source));
  if (value instanceof Map) {
    return Object.fromEntries([...value.entries()].map(([key, item]) => [String(key), fromCelValue(item, source)]));
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw resultError('holds an invalid timestamp', source);
    return value.toISOString();
  }
  if (value instanceof Uint8Array) throw resultError('holds bytes, which are not JSON; convert them with string()', source);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fromCelValue(item, source)]));
  }
  // cel-js boxes uint (valueOf → bigint) and google.protobuf.Duration (seconds/nanos, toString → `300s`).
  const primitive: unknown = value.valueOf();
  if (typeof primitive === 'bigint') return toSafeNumber(primitive, source);
  if ('seconds' in value && 'nanos' in value) return String(value);
  throw resultError('holds a value of a type JSON cannot carry', source);
}
