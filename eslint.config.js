// Lint for the whole TypeScript tree, with extra rules that keep workflow code deterministic.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.venv/', 'data/', 'results/', 'tests/histories/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // node:test's describe/it return promises the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed: it must not touch the outside world or Node's runtime.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflows must be deterministic: do I/O in activities.',
          })),
          patterns: [
            { group: ['**/activities/**'], allowTypeImports: true, message: 'Import activities only as types.' },
            {
              group: ['openai', 'express', '@temporalio/client', '@temporalio/worker', 'yaml'],
              message: 'Not allowed in workflow code.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'process', message: 'Workflows cannot read the environment.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Randomness breaks replay.' },
      ],
    },
  },
  // Layers import downward only: core/ (contracts, numerics) ← activities/ (the world) ← workflows/
  // (types only) ← workers/, api/ ← scripts/, bench/; tests/ sit on top and nothing imports them.
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities/**', '**/workflows/**', '**/workers/**', '**/api/**', '**/ran-emulator/**'],
              message: 'core/ is the bottom layer: it imports only core/ and packages.',
            },
            { group: ['**/scripts/**', '**/bench/**', '**/tests/**'], message: 'core/ imports no tooling.' },
          ],
        },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows/**', '**/workers/**', '**/api/**'],
              message: 'Activities sit below workflows, workers and the API: move the shared type to core/.',
            },
            { group: ['**/scripts/**', '**/bench/**', '**/tests/**'], message: 'Activities import no tooling.' },
          ],
        },
      ],
    },
  },
  // The emulated RAN stands where a real RAN would: it knows maestro's contracts (core/), never its
  // workflows, activities, API or workers; scripts/ran.ts wires its telemetry to the cell sessions.
  {
    files: ['ran-emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows/**', '**/activities/**', '**/api/**', '**/workers/**', '@temporalio/*'],
              message: 'The emulated RAN is independent of maestro: it imports only core/ and packages.',
            },
            { group: ['**/scripts/**', '**/bench/**', '**/tests/**'], message: 'The emulated RAN imports no tooling.' },
          ],
        },
      ],
    },
  },
  {
    files: ['api/**/*.ts', 'workers/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/tests/**'], message: 'Only tests import tests/: shared helpers belong in scripts/lib/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
