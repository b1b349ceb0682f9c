// Lint rules that protect correctness, not taste (prettier owns formatting).
// The workflow rule is the important one: workflow code is replayed and must be
// deterministic, so it may not reach Node builtins or activity implementations.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  {
    ignores: ['node_modules/', '.tools/', '.ripcord/', 'coverage/', 'bench/results/', '**/*.js', '**/*.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node builtins (use an activity).',
          })),
          patterns: [
            {
              // The activity contract the workflow calls through is in src/model (activity-contract.ts).
              regex: '(^|/)activities(/.*)?$',
              allowTypeImports: true,
              message: 'Workflow code may import only the *types* of activities (use proxyActivities).',
            },
            {
              group: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client'],
              allowTypeImports: true,
              message: 'Workflow code may import only the *types* of activities (use proxyActivities).',
            },
            {
              group: [
                '**/sources/**',
                '**/targets/**',
                '**/security/**',
                '**/cli/**',
                '**/worker/**',
                '**/dev/**',
              ],
              allowTypeImports: true,
              message: 'Workflow code may not import I/O modules; only decision, policy types and messages.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Workflow code must not read the process environment.' },
        { name: 'require', message: 'Workflow code must use static imports.' },
      ],
    },
  },
  {
    files: ['src/decision/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'The decision core is pure: no I/O.' })),
          patterns: [
            {
              group: ['../*', '@temporalio/*'],
              allowTypeImports: false,
              message: 'The decision core imports nothing from the rest of ripcord (docs/architecture.md).',
            },
          ],
        },
      ],
      // The core runs inside workflow code too: no environment, no clocks, no randomness.
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The decision core is pure: no process environment.' },
        { name: 'require', message: 'The decision core uses static imports.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'The decision core is deterministic.' },
        { object: 'Date', property: 'now', message: 'The decision core is deterministic.' },
      ],
    },
  },
);
