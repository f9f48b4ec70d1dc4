/**
 * The core tests' sequencer: Jest's own, plus one saving that matters only under Stryker (`npm run mutate`).
 *
 * Stryker runs a mutant with `--findRelatedTests <mutated file>` and a `testNamePattern` naming the tests
 * that executed the mutant in its dry run (perTest coverage). Jest still loads every related test file to
 * find those names, and loading one (a fresh module registry: the core, zod, fast-check) costs about 90 ms
 * of CPU: a mutant of a module most tests import loaded a dozen files to run tests from three.
 *
 * So the dry run (no pattern) records each test file's full test names, and a mutant run drops the files
 * none of whose tests the pattern matches, with the same case-insensitive match jest-circus applies. The
 * tests that run are exactly those that would have run; a file the record does not know is kept. Outside
 * Stryker (no `__strykerGlobalNamespace__` global in the config) it is Jest's sequencer unchanged.
 */
const fs = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

class CoreTestSequencer extends Sequencer {
  constructor(options) {
    super(options);
    const { contexts, globalConfig } = options;
    this.underStryker = contexts.some(
      (context) => context.config.globals?.__strykerGlobalNamespace__ !== undefined,
    );
    this.pattern = globalConfig.testNamePattern;
    // In Stryker's sandbox, shared by its test runner processes (the dry run writes it, the others read it).
    this.namesFile = path.join(globalConfig.rootDir, '.stryker-test-names.json');
  }

  sort(tests) {
    // A new run: no test has failed in it yet (jest.core.environment.js stops a mutant's run at the first).
    globalThis[Symbol.for('airweave-sync-events.core-tests.mutant-run-failed')] = false;
    const sorted = super.sort(tests);
    if (!this.underStryker || !this.pattern) return sorted;
    const names = this.readNames();
    if (names === undefined) return sorted;
    const matches = new RegExp(this.pattern, 'i');
    return sorted.filter((test) => {
      const known = names[test.path];
      return known === undefined || known.some((name) => matches.test(name));
    });
  }

  cacheResults(tests, results) {
    super.cacheResults(tests, results);
    // Only an unfiltered run (the dry run, or a static mutant's) sees every test of its files.
    if (!this.underStryker || this.pattern || fs.existsSync(this.namesFile)) return;
    const names = {};
    for (const file of results.testResults) {
      if (file.testExecError) return;
      names[file.testFilePath] = file.testResults.map((test) => test.fullName);
    }
    fs.writeFileSync(this.namesFile, JSON.stringify(names));
  }

  readNames() {
    if (this.names === undefined && fs.existsSync(this.namesFile)) {
      this.names = JSON.parse(fs.readFileSync(this.namesFile, 'utf8'));
    }
    return this.names;
  }
}

module.exports = CoreTestSequencer;
