// Validates a run's input against the definition's `input` JSON Schema. Messages name the field, never its value.
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { linearRegExpEngine } from '../regex/linear-pattern';
import { StewardError } from '../errors';

const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: linearRegExpEngine } });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

/** Throws INPUT_INVALID listing every problem; `cacheKey` (the definition hash) avoids recompiling the schema. */
export function assertValidInput(schema: object | undefined, input: unknown, cacheKey: string): void {
  if (!schema) return;
  let validate = compiled.get(cacheKey);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(cacheKey, validate);
  }
  if (validate(input)) return;
  const problems = (validate.errors ?? []).map((error) => {
    const field = ['input', ...error.instancePath.split('/').filter(Boolean)].join('.');
    const missing = error.keyword === 'required' ? `.${(error.params as { missingProperty: string }).missingProperty}` : '';
    return `${field}${missing}: ${error.message ?? 'is invalid'}`;
  });
  throw new StewardError('INPUT_INVALID', `run input does not match the definition's input schema: ${problems.join('; ')}`);
}
