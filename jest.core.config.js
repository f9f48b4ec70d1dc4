/**
 * The pure core's tests only: what `npm run mutate` (Stryker) runs against each mutant of `lambda/core`.
 * These files import the core and, where a use case needs a store, the in-memory stores; none starts the
 * local engine, a child process server or a synth, so one mutant costs milliseconds, not seconds.
 * A new pure core test is picked up by naming it `*.core.test.ts`.
 * @type {import('jest').Config}
 */
module.exports = {
  // Jest's node environment; under Stryker, a mutant's run stops at its first failing test.
  // An absolute path: Stryker loads the environment itself, without Jest's <rootDir>.
  testEnvironment: require('node:path').join(__dirname, 'jest.core.environment.js'),
  // Every directory a test imports from, not only `test/`: Stryker runs each mutant with
  // `--findRelatedTests <mutated file>`, and Jest only follows imports through files its haste map holds.
  // With `test/` alone, a core module reached through another module or an adapter (`core/source-record.ts`
  // through the in-memory store) had no related test: its mutants ran no test and counted as survived.
  roots: ['<rootDir>/test', '<rootDir>/lambda', '<rootDir>/harness', '<rootDir>/examples'],
  testMatch: [
    '**/*.core.test.ts',
    '**/airweave.test.ts',
    '**/core.test.ts',
    '**/recent-alerts.test.ts',
    '**/rules.test.ts',
  ],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  // Under Stryker, a mutant's run loads only the test files holding the tests that executed it.
  testSequencer: '<rootDir>/jest.core.sequencer.js',
};
