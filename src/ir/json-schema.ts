// The JSON Schema of the IR, generated from the zod schemas, for editors' YAML language servers and `steward schema`.
import { z } from 'zod';
import { Definition } from './schema';

export const IR_JSON_SCHEMA_ID = 'https://steward.dev/schemas/ir/v1.json';

/**
 * The IR's JSON Schema (draft-07, which YAML language servers understand best). It describes what authors write,
 * so fields with defaults are optional. Cross-reference rules (targets, loops, secrets) are only in `steward validate`.
 */
export function createIrJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(Definition, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
    // zod writes startsWith as a non-standard `format` beside an equivalent `pattern`; validators warn on it.
    override: ({ jsonSchema }) => {
      if (jsonSchema.format === 'starts_with') delete jsonSchema.format;
    },
  });
  return {
    ...generated,
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: IR_JSON_SCHEMA_ID,
    title: 'Steward workflow definition (IR v1)',
    description: 'An agent workflow run by Steward on Temporal. Expressions are CEL; strings may hold {{ expr }} templates.',
  };
}
