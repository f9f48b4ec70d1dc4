#!/usr/bin/env node
// The `sync-events` command: registers tsx so the TypeScript sources run as they are, with no build step.
require('tsx/cjs/api').register();
require('./main.ts').run();
