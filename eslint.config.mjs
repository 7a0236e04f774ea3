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
