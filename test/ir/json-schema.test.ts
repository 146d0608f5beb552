import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createIrJsonSchema, IR_JSON_SCHEMA_ID } from '../../src/ir/json-schema';

describe('createIrJsonSchema', () => {
  const schema = createIrJsonSchema();
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);

  it('carries $schema, $id and a title for editors', () => {
    expect(schema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', $id: IR_JSON_SCHEMA_ID, title: expect.any(String) });
  });

  it('accepts the fixture that uses every node type', () => {
    const definition: unknown = parse(readFileSync(join(__dirname, 'fixtures', 'valid-every-node.yaml'), 'utf8'));
    expect(validate(definition)).toBe(true);
  });

  it('refuses an unknown node type and an unknown field', () => {
    expect(validate({ id: 'x', version: 1, start: 'a', nodes: { a: { type: 'teleport' } } })).toBe(false);
    expect(validate({ id: 'x', version: 1, start: 'a', nodes: { a: { type: 'end', colour: 'red' } } })).toBe(false);
  });
});
