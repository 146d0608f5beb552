// `steward validate FILE` and `steward schema`: check a definition offline, and publish the IR's JSON Schema.
import type { Command } from 'commander';
import { formatIssue, parseDefinition } from '../../ir/parse';
import { createIrJsonSchema } from '../../ir/json-schema';
import { EXIT_BAD_INPUT } from '../errors';
import { readFileArgument } from '../input';

export function registerDefinitionCommands(program: Command): void {
  program
    .command('validate')
    .description('check a workflow definition: schema, references, expressions, loops, secrets, approvals')
    .argument('<file>', 'workflow definition (YAML or JSON)')
    .option('--json', 'print {valid, issues} as JSON')
    .action((file: string, options: { json?: boolean }) => {
      const parsed = parseDefinition(readFileArgument('FILE', file), { filename: file });
      if (options.json) {
        process.stdout.write(JSON.stringify(parsed.ok ? { valid: true, id: parsed.definition.id, version: parsed.definition.version } : { valid: false, issues: parsed.issues }) + '\n');
      } else if (parsed.ok) {
        process.stdout.write(`${file}: valid (${parsed.definition.id} version ${parsed.definition.version}, ${Object.keys(parsed.definition.nodes).length} nodes)\n`);
      } else {
        process.stderr.write(parsed.issues.map(formatIssue).join('\n') + `\n${parsed.issues.length} problem(s) in ${file}\n`);
      }
      if (!parsed.ok) process.exitCode = EXIT_BAD_INPUT;
    });

  program
    .command('schema')
    .description("print the IR's JSON Schema (for editors' YAML language servers)")
    .action(() => {
      process.stdout.write(JSON.stringify(createIrJsonSchema(), null, 2) + '\n');
    });
}
