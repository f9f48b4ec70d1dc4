// The engine's LevelDB, opened with two options dynalite leaves at LevelDB's defaults. Under the load bench
// (10,000 deliveries at 50 concurrent), the defaults' compactions showed as stalls of a second or two in
// which throughput fell by a third and the slowest requests waited over 350 ms; with these, the stalls are
// gone and the engine spends less CPU (BENCHMARKS.md, "Local server under load"):
// - no Snappy compression: every compaction rewrote the data through it, and the items are small JSON
//   documents a local table can afford to keep uncompressed;
// - a 32 MB write buffer instead of 4 MB: memtable flushes, and the compactions that follow them, an
//   eighth as often.
// Durability is unchanged: every acknowledged write is still in LevelDB's log before the answer, and a
// restart replays it (a longer log at most: about a second for 32 MB).
'use strict';

const path = require('node:path');

const LEVEL_OPTIONS = Object.freeze({ compression: false, writeBufferSize: 32 * 1024 * 1024 });

let installed = false;

/**
 * Opens every LevelDB of the engine's (dynalite's own copy of classic-level) with `LEVEL_OPTIONS`, whatever
 * the order modules were loaded in: the open of the class itself is wrapped, not dynalite's import of it.
 */
function installLevelOptions() {
  if (installed) return;
  installed = true;
  const level = require.resolve('level', { paths: [path.dirname(require.resolve('dynalite'))] });
  const classic = require.resolve('classic-level', { paths: [path.dirname(level)] });
  const { ClassicLevel } = require(classic);
  const open = ClassicLevel.prototype._open;
  ClassicLevel.prototype._open = function (options) {
    return open.call(this, { ...options, ...LEVEL_OPTIONS });
  };
}

module.exports = { LEVEL_OPTIONS, installLevelOptions };
