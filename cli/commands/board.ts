import { compose } from '../../lambda/compose';
import { runtimeSettings } from '../../lambda/core/config';
import { serveBoard } from '../../local/board';
import { LOCAL } from '../../local/defaults';
import { CliError, UsageError } from '../errors';
import type { Output } from '../output';
import type { Target } from '../target';

/** Resolves on the first Ctrl-C or SIGTERM: the board serves until then. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

function portOf(text: string | undefined): number {
  if (text === undefined) return LOCAL.boardPort;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port takes a port number, got "${text}"`);
  return port;
}

/**
 * `sync-events board`: the freshness board for the target, served on 127.0.0.1. The server reads the
 * table with this process's credentials; the page only ever talks to the server.
 */
export async function board(
  target: Target,
  options: { port?: string },
  out: Output,
  until: Promise<void> = untilSignal(),
): Promise<number> {
  const port = portOf(options.port);
  // One read first, so a wrong stack, region or credentials fail here with the usual explanation
  // rather than as an error banner in the browser.
  await target.store.allFreshness();
  let server;
  try {
    server = await serveBoard({
      target: target.kind === 'local' ? 'local stack' : target.name,
      deps: compose(
        {
          stores: target.stores,
          settings: runtimeSettings(target.config),
          log: {
            info: () => {},
            warn: (message, fields) => out.note(`board: ${message} ${JSON.stringify(fields ?? {})}`),
            error: (message, fields) => out.note(`board: ${message} ${JSON.stringify(fields ?? {})}`),
          },
        },
        {},
      ),
      port,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new CliError(`port ${port} is in use: pass another with --port N (0 picks a free one)`);
    throw error;
  }
  out.print(`freshness board for ${target.name}: ${server.url}`);
  out.note('Ctrl-C stops.');
  await until;
  await server.close();
  return 0;
}
