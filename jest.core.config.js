/**
 * The pure core's tests only: what `npm run mutate` (Stryker) runs against each mutant of `lambda/core`.
 * These files import the core and, where a use case needs a store, the in-memory stores; none starts the
 * local engine, a child process server or a synth, so one mutant costs milliseconds, not seconds.
 * A new pure core test is picked up by naming it `*.core.test.ts`.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
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
