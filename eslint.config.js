// ESLint flat config: typescript-eslint's type-checked rules everywhere, plus the house rules
// from ../shared/STYLE.md: determinism in orchestrators and the pure flow interpreter, and
// environment access only through shared/config (and the local tooling that hosts the rest).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nondeterministicGlobals = [
  { name: 'setTimeout', message: 'Orchestrators use durable timers (context.df.createTimer).' },
  { name: 'setInterval', message: 'Orchestrators use durable timers (context.df.createTimer).' },
  { name: 'setImmediate', message: 'Orchestrator code must be deterministic.' },
  { name: 'process', message: 'No environment or process access in deterministic code.' },
  { name: 'fetch', message: 'Every side effect is an activity.' },
];
const nondeterministicSyntax = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: 'Use context.df.currentUtcDateTime (or the time passed in by the caller).',
  },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'new Date() reads the clock.' },
  {
    selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
    message: 'Use context.df.newGuid() or take randomness from an activity.',
  },
  { selector: 'FunctionDeclaration[async=true][generator=true]', message: 'Orchestrators are sync generators.' },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'web/dist/**',
      'coverage/**',
      '.data/**',
      'test-artifacts/**',
      'bench/results/**',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', 'bin/*.mjs', 'scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unused-expressions': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through shared/config.' },
      ],
    },
  },
  {
    // Local tooling hosts everything and may read the environment.
    files: ['shared/config/**', 'local/**', 'cli/**', 'bench/**', 'test/**', 'scripts/**', 'bin/**', '*.config.*'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Replay determinism: https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-code-constraints
    files: ['orchestrations/**/*.orchestrator.ts', 'shared/flow/**/*.ts'],
    ignores: ['shared/flow/node/**'],
    rules: {
      'no-restricted-globals': ['error', ...nondeterministicGlobals],
      'no-restricted-syntax': ['error', ...nondeterministicSyntax],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'http', 'https', 'crypto', 'os', 'child_process'], message: 'No I/O in deterministic code.' },
            { group: ['@azure/cosmos', '@azure/service-bus', '@azure/storage-blob', '@microsoft/microsoft-graph-client', '@azure/msal-node'], message: 'Every side effect is an activity.' },
            { group: ['**/shared/config/**', '**/shared/store/**', '**/shared/graph/client*'], message: 'No adapters in deterministic code.' },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
