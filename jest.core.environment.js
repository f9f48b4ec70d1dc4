/**
 * The core tests' environment: Jest's node environment, plus one saving that matters only under Stryker
 * (`npm run mutate`): once a test has failed in a mutant's run, the mutant is killed, so the run's later
 * tests are skipped instead of run (Stryker's jest runner cannot pass Jest's `bail`). Other runners stop at
 * a mutant's first failing test the same way; a killed mutant still means a test failed on it.
 *
 * Only a mutant's run bails: it is the run with a test name pattern (the tests that ran the mutant). The
 * dry run, which must run every test to learn coverage, has none, and outside Stryker nothing changes.
 * The flag is shared by the run's test files (one process, `runInBand`) and cleared by
 * jest.core.sequencer.js when a run starts.
 */
const { TestEnvironment } = require('jest-environment-node');

const FAILED = Symbol.for('airweave-sync-events.core-tests.mutant-run-failed');

class CoreTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.bails =
      config.projectConfig.globals?.__strykerGlobalNamespace__ !== undefined &&
      Boolean(config.globalConfig.testNamePattern);
  }

  async handleTestEvent(event) {
    if (!this.bails) return;
    if (event.name === 'test_start' && globalThis[FAILED]) event.test.mode = 'skip';
    else if (event.name === 'test_done' && event.test.errors.length > 0) globalThis[FAILED] = true;
  }
}

CoreTestEnvironment.FAILED = FAILED;
module.exports = CoreTestEnvironment;
