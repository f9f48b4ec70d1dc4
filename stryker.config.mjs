// Mutation testing of the pure core: `npm run mutate` (not part of CI; a full run takes minutes).
// While iterating on one file: `npx stryker run --mutate lambda/core/x.ts`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['lambda/core/**/*.ts'],
  testRunner: 'jest',
  // Per mutant, only the test files that import the mutated file (and of those, only the tests that ran it).
  jest: { configFile: 'jest.core.config.js', enableFindRelatedTests: true },
  // Each mutant runs only the tests that executed its code.
  coverageAnalysis: 'perTest',
  // No TypeScript checker: ts-jest compiles without diagnostics, and `tsc` is run by `npm run lint`.
  checkers: [],
  // The machine has 2 cores shared with other work.
  concurrency: 2,
  timeoutMS: 10000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
