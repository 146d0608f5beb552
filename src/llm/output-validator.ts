// Checks a model's final text against an `output_schema` with ajv. Not workflow-safe (ajv compiles code):
// run it where the model is called, in the activity.
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { linearRegExpEngine } from '../regex/linear-pattern';
import type { JsonSchema } from './types';

export type OutputCheck = { ok: true; value: unknown } | { ok: false; problems: string[] };

export type OutputValidator = (text: string) => OutputCheck;

const MAX_PROBLEMS = 5;

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: linearRegExpEngine } });
  addFormats(ajv);
  return ajv;
}

let shared: Ajv | undefined;

/** The JSON in a model's answer: the whole text, or the body of a single ```json fence around it. */
export function extractJson(text: string): string {
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(trimmed);
  return fenced ? fenced[1]!.trim() : trimmed;
}

function describe(error: ErrorObject): string {
  // Schema-side wording (path, keyword message) only: the model's output values are not repeated.
  return `${error.instancePath === '' ? '(root)' : error.instancePath} ${error.message ?? error.keyword}`;
}

export function createOutputValidator(schema: JsonSchema): OutputValidator {
  shared ??= createAjv();
  const validate = shared.compile(schema);
  return (text) => {
    let value: unknown;
    try {
      value = JSON.parse(extractJson(text));
    } catch {
      return { ok: false, problems: ['the answer is not valid JSON'] };
    }
    if (validate(value)) return { ok: true, value };
    return { ok: false, problems: (validate.errors ?? []).slice(0, MAX_PROBLEMS).map(describe) };
  };
}
