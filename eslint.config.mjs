import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import jest from 'eslint-plugin-jest';

export default tseslint.config(
  {
    ignores: [
      'cdk.out/**',
      'node_modules/**',
      '.tools/**',
      'dist/**',
      // Stryker's sandbox copy of the repository and its reports (npm run mutate).
      '.stryker-tmp/**',
      'reports/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
      '!board/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The board's page script: plain browser JavaScript, linted with the browser's globals.
    files: ['board/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'performance',
          'fetch',
          'HTMLElement',
          'HTMLDialogElement',
          'HTMLInputElement',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['test/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/expect-expect': [
        'error',
        { assertFunctionNames: ['expect', 'expect*', 'assert*', 'Template.*', '*.has*', 'fc.assert'] },
      ],
    },
  },
);
