// Lint rules. The workflows/ block keeps interpreter code inside Temporal's deterministic sandbox.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const NODE_BUILTINS = builtinModules.flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.steward*/**', '.scratch*/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // src/ is the product: it never reaches into the development stack, nor into activities, which build on it.
    // The worker hosts the activities, so src/worker alone may import them.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/dev-server', '**/dev-server/*'], message: 'src/ may not import dev-server/: add development behaviour through dev-server/cli.' }],
      }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/worker/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/dev-server', '**/dev-server/*'], message: 'src/ may not import dev-server/: add development behaviour through dev-server/cli.' },
          { group: ['**/activities', '**/activities/*'], message: 'src/ may not import activities/ (only src/worker hosts them).', allowTypeImports: true },
        ],
      }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: NODE_BUILTINS,
        patterns: [{
          group: [
            '**/src/*', '!**/src/ir', '!**/src/ir/*', '!**/src/errors', '!**/src/contract', '!**/src/contract/*',
            '!**/src/temporal', '**/src/temporal/*', '!**/src/temporal/search-attribute-keys',
            '!**/src/llm', '**/src/llm/*', '!**/src/llm/pure',
            '**/activities/*', '@temporalio/{client,worker,activity,testing}',
            '@opentelemetry/*', '!@opentelemetry/api',
          ],
          message: 'workflows/ may import only pure modules (src/ir, src/errors, src/contract, search-attribute keys, src/llm/pure), @temporalio/workflow and the OpenTelemetry API; activities by type only.',
          allowTypeImports: true,
        }],
      }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process', 'require'],
    },
  },
  {
    // The run contract is shared by workflows and callers: Temporal's message definitions only.
    files: ['src/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!@temporalio/workflow$|\\./).*', message: 'src/contract is workflow-safe: it imports only @temporalio/workflow and itself.' }] }],
    },
  },
);
