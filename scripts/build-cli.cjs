// Compiles the `sync-events` command line to one JavaScript file, dist/cli.js, so that running it needs no
// TypeScript compiler: `npm ci` runs this through the `prepare` script, `npm run build` runs it by hand,
// and the tests run it before they start (test/global-setup.ts). The project's own modules are bundled,
// each evaluated when a command first needs it, so `--help` loads none of the AWS SDK. Dependencies stay
// in node_modules, except zod: the config validator is loaded by every command that reads the config,
// and bundled it costs a fraction of the whole package (measured in bench/cli.ts).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const outfile = path.join(root, 'dist', 'cli.js');
/** The source files the bundle was built from (relative to the root), for the staleness check. */
const inputsFile = path.join(root, 'dist', 'cli.inputs.json');

/** Every dependency but zod, with its subpaths (`aws-cdk-lib/aws-sns`). */
function externals() {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const names = Object.keys({
    ...manifest.dependencies,
    ...manifest.devDependencies,
    ...manifest.optionalDependencies,
  }).filter((name) => name !== 'zod');
  return names.flatMap((name) => [name, `${name}/*`]);
}

function buildCli() {
  const esbuild = require('esbuild');
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: ['cli/main.ts'],
    outfile,
    bundle: true,
    external: externals(),
    // The ES module builds, so that esbuild keeps only the parts of zod the config uses.
    mainFields: ['module', 'main'],
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const sources = Object.keys(result.metafile.inputs).filter((input) => !input.includes('node_modules'));
  fs.writeFileSync(inputsFile, JSON.stringify(sources));
  return outfile;
}

/** True when a source the bundle was built from changed after it (or the bundle is missing). */
function isStale() {
  let built;
  try {
    built = fs.statSync(outfile).mtimeMs;
  } catch {
    return true;
  }
  let inputs;
  try {
    inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
  } catch {
    return true;
  }
  return inputs.some((input) => {
    try {
      return fs.statSync(path.join(root, input)).mtimeMs > built;
    } catch {
      return true;
    }
  });
}

module.exports = { buildCli, isStale, outfile };

if (require.main === module) buildCli();
