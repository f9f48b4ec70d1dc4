// The embedded engine (dynalite) reads the table's description from LevelDB on every request, before the
// item itself: half of its LevelDB reads under load, each a trip through libuv's thread pool. This keeps
// the last written or read description in memory, as the JSON text LevelDB holds, and answers from it
// while nothing is being written to that table's description. dynalite's semantics are unchanged:
// - each read gets a new object parsed from that text, as a LevelDB read decodes one, so a caller that
//   changes its copy (UpdateTable, DeleteTable do) changes no one else's;
// - the text is the one LevelDB acknowledged: a put is kept only once it succeeded, and while a put or
//   delete of a table is in flight every read of that table goes to LevelDB, as before;
// - a read that started before a write is not kept (a generation count per table), so a stale answer
//   cannot land in the memory after a newer write;
// - nothing is kept across a restart: after `kill -9` the engine starts empty and reads LevelDB.
// Keyed by table name: the descriptions of two tables never mix.
'use strict';

let installed = false;

/** Wraps one LevelDB-backed sub-database (`get`, `put`, `del` with callbacks) with the memory above. */
function cacheTableDescriptions(tableDb) {
  const { get, put, del } = tableDb;
  const entries = new Map(); // name -> { text, writing, generation }
  const entry = (name) => {
    let e = entries.get(name);
    if (!e) entries.set(name, (e = { text: undefined, writing: 0, generation: 0 }));
    return e;
  };

  tableDb.get = function (name, callback) {
    const e = entry(name);
    if (e.text !== undefined && e.writing === 0) {
      const value = JSON.parse(e.text);
      return void setImmediate(callback, null, value);
    }
    const generation = e.generation;
    get.call(tableDb, name, (error, value) => {
      if (!error && value && e.writing === 0 && e.generation === generation) e.text = JSON.stringify(value);
      callback(error, value);
    });
  };

  const writing = (name, text, write) => {
    const e = entry(name);
    e.writing++;
    e.generation++;
    e.text = undefined;
    const generation = e.generation;
    return (error) => {
      e.writing--;
      if (!error && text !== undefined && e.writing === 0 && e.generation === generation) e.text = text;
      return error;
    };
  };

  tableDb.put = function (name, value, callback) {
    // The text as it is at the put, before the caller can change the object again.
    const done = writing(name, JSON.stringify(value));
    put.call(tableDb, name, value, (error) => callback && callback(done(error)));
  };

  tableDb.del = function (name, callback) {
    const done = writing(name, undefined);
    del.call(tableDb, name, (error) => callback && callback(done(error)));
  };

  return tableDb;
}

/** Installs the memory on every dynalite store created from now on in this process (once per process). */
function installTableCache() {
  if (installed) return;
  installed = true;
  const db = require('dynalite/db');
  const create = db.create;
  db.create = function (options) {
    const store = create(options);
    cacheTableDescriptions(store.tableDb);
    return store;
  };
}

module.exports = { cacheTableDescriptions, installTableCache };
