/**
 * A bundled function's process, started the way the Lambda Node.js runtime starts one: plain `node`, no
 * TypeScript loader, the environment the function's configuration sets plus the runtime's reserved
 * variables (given by the parent, nothing inherited), the handler module `require`d from LAMBDA_TASK_ROOT
 * by the `_HANDLER` setting (`index.handler`), once, outside any invocation (the cold start).
 *
 * Invocations arrive over the IPC channel instead of the Runtime API: `{ id, event, deadlineMs }` in,
 * `{ id, result }` or `{ id, error }` out. Each one gets the context object and the per-invocation
 * `_X_AMZN_TRACE_ID` the runtime would give it.
 */
const path = require('node:path');
const { randomBytes } = require('node:crypto');

const [moduleName, exportName] = (process.env._HANDLER ?? 'index.handler').split('.');
let handler;
try {
  handler = require(path.join(process.env.LAMBDA_TASK_ROOT ?? '.', moduleName))[exportName];
  if (typeof handler !== 'function') throw new Error(`${process.env._HANDLER} is not a function`);
} catch (error) {
  // Runtime.ImportModuleError / an init failure: the function cannot serve anything.
  process.send({ type: 'init-error', error: String(error && error.stack ? error.stack : error) });
  process.exitCode = 1;
  process.disconnect();
  return;
}

process.on('message', (message) => {
  const { id, event, deadlineMs } = message;
  const seconds = Math.floor(Date.now() / 1000).toString(16);
  process.env._X_AMZN_TRACE_ID = `Root=1-${seconds}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: id,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  Promise.resolve()
    .then(() => handler(event, context))
    .then(
      (result) => process.send({ id, result: result === undefined ? null : result }),
      (error) =>
        process.send({
          id,
          error: { errorType: error?.name ?? 'Error', errorMessage: String(error?.message ?? error) },
        }),
    );
});
process.send({ type: 'ready' });
