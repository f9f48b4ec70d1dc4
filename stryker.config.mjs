// Mutation testing of the pure core: `npm run mutate` (not part of CI). Cost and figures: BENCHMARKS.md,
// "Mutation testing (issue 15)".
// While iterating on one file: `npx stryker run --mutate lambda/core/x.ts --concurrency 1`
// (with STRYKER_WITH_STATIC=1 to see that file's static mutants too).
// Re-testing only what changed since a full run: `npm run mutate -- --incremental`, with
// STRYKER_INCREMENTAL_FILE pointing somewhere that outlives the worktree (a run of a subset of files
// rewrites the file with that subset only, so keep per-file runs non-incremental).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['lambda/core/**/*.ts'],
  testRunner: 'jest',
  // Per mutant, only the test files that import the mutated file; of those, jest.core.sequencer.js keeps
  // the files holding a test that ran the mutant, and the test name pattern runs only those tests.
  jest: { configFile: 'jest.core.config.js', enableFindRelatedTests: true },
  // Each mutant runs only the tests that executed its code.
  coverageAnalysis: 'perTest',
  // Static mutants (module-level code: the zod schemas, constant tables, regular expressions) run when a
  // module loads, so no test is known to cover them and each one runs every related test file in full,
  // the child-process tests included: in one measured run they were 39% of the mutants and, by Stryker's
  // estimate, 85% of the time. They are left out of `npm run mutate` and its score; the tests that pin
  // those constants still exist (the *.core.test.ts files), and STRYKER_WITH_STATIC=1 measures them.
  ignoreStatic: !process.env.STRYKER_WITH_STATIC,
  // No TypeScript checker: ts-jest compiles without diagnostics, and `tsc` is run by `npm run lint`.
  checkers: [],
  // The machine has 2 cores shared with other work.
  concurrency: 2,
  timeoutMS: 10000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incrementalFile: process.env.STRYKER_INCREMENTAL_FILE ?? 'reports/mutation/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
