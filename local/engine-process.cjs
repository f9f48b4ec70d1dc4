// The embedded DynamoDB engine in a process of its own (local mode): the engine and the HTTP handlers
// each get a core instead of sharing one event loop. Started by local/engine.ts through fork(); reports
// its port over IPC, and exits when its parent goes away, so it never outlives `npm start`.
const dynalite = require('dynalite');
// The same parse, memoized per expression shape (see expression-memo.cjs): a third of the engine's CPU
// under load was re-parsing the store's few expressions.
require('./expression-memo.cjs').installExpressionMemo();
// The table's description from memory while no write to it is in flight (see table-cache.cjs).
require('./table-cache.cjs').installTableCache();
// LevelDB without compression and with a larger write buffer (see level-options.cjs).
require('./level-options.cjs').installLevelOptions();

const { path, host, port } = JSON.parse(process.argv[2]);
const server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

server.on('error', (error) => {
  process.send?.({
    error:
      error.code === 'EADDRINUSE'
        ? `listen EADDRINUSE: address already in use ${host}:${port}`
        : error.message,
    code: error.code,
  });
  process.exit(1);
});
server.listen(port, host, () => process.send?.({ port: server.address().port }));

const stop = () => server.close(() => process.exit(0));
process.on('disconnect', stop);
process.on('message', (message) => message === 'stop' && stop());
// Ctrl-C reaches the whole process group; the parent decides when the engine stops.
process.on('SIGINT', () => {});
