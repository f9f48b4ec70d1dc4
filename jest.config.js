/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // No diagnostics: type checking is done once by `tsc` in `npm run lint`, not per test file.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  // Compiles the CLI once per run: tests spawn it as users do.
  globalSetup: '<rootDir>/test/global-setup.ts',
};
