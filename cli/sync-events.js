#!/usr/bin/env node
// The `sync-events` command: runs the compiled CLI (dist/cli.js, built by `npm ci` through `prepare`, or
// `npm run build`), with no TypeScript compiler at run time. V8's compile cache makes later starts faster.
'use strict';
require('node:module').enableCompileCache?.();
const build = require('../scripts/build-cli.cjs');

function ready() {
  // In a clone someone is editing, the sources may be newer than the bundle: rebuild rather than run old
  // code. esbuild is a development dependency, so a copy without it says what to run instead.
  if (!build.isStale()) return true;
  try {
    build.buildCli();
    return true;
  } catch (error) {
    process.stderr.write(
      `sync-events: the compiled CLI is missing or older than its sources, and rebuilding it failed ` +
        `(${String(error.message).split('\n')[0]}): run \`npm run build\`\n`,
    );
    // No process.exit: stderr is flushed before the process ends on its own.
    process.exitCode = 1;
    return false;
  }
}

if (ready()) require(build.outfile).run();
