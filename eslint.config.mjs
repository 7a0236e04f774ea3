import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

// Floors (the README's Layout; ../shared/ARCHITECTURE.md in the steering repo): a project may import its own floor or lower ones, never higher,
// and no library may import an application. Nx also rejects import cycles.
const floors = [1, 2, 3, 4, 5, 6];
const floorConstraints = floors.map((floor) => ({
  sourceTag: `floor:${floor}`,
  onlyDependOnLibsWithTags: floors.filter((f) => f <= floor).map((f) => `floor:${f}`),
}));

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  {
    ignores: ['**/node_modules', '**/dist', '**/.nx', '**/coverage', '**/tmp', '**/.models', 'test-artifacts'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:lib', notDependOnLibsWithTags: ['type:app'] },
            { sourceTag: 'type:app', notDependOnLibsWithTags: ['type:app'] },
            ...floorConstraints,
          ],
        },
      ],
    },
  },
  {
    // The runtime embedder never carries the dev-model generator; apps inject it (ResolveModelOptions.ensureDevModel).
    files: ['libs/embedder/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/embedder/src/test-support/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@vectorizer/dev-model', message: 'Runtime code gets the generator injected by the app.' }] },
      ],
    },
  },
  {
    // Apps are argument parsing, wiring and output: their services come from the composition root
    // (@vectorizer/runtime). Beside it they may use the floor-1 vocabulary every process shares
    // (settings, the logger, the error registry) and domain types, never domain functions.
    // Tests and their support files set real state up through the libraries themselves.
    files: ['apps/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/test-support/**'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@vectorizer/*',
                '!@vectorizer/runtime',
                '!@vectorizer/config',
                '!@vectorizer/logger',
                '!@vectorizer/errors',
              ],
              allowTypeImports: true,
              message:
                'Apps get their services from @vectorizer/runtime (the composition root); import only types from domain libraries.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
