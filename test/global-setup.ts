/**
 * Before any test file: compile the command line (dist/cli.js), so the tests that run `sync-events` as a
 * process run the code of this checkout, as `npm ci` would have built it.
 */
export default function globalSetup(): void {
  // A CommonJS build script shared with `npm run build` and the `sync-events` launcher.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('../scripts/build-cli.cjs') as { buildCli(): string }).buildCli();
}
