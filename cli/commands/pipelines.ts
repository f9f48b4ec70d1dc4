import { paint, status, table } from '../format';
import { publicFields } from './inspect';
import type { Target } from '../target';

/** Each configured pipeline with its gate state and recent runs (access pattern 5). */
export async function pipelines(
  target: Target,
  options: { json?: boolean },
  print: (line: string) => void,
): Promise<number> {
  const list = await Promise.all(
    target.config.pipelines.map(async (p) => {
      const { gate, runs } = await target.store.pipeline(p.name);
      return {
        name: p.name,
        collection: p.collection,
        requires: p.requires,
        window: p.window,
        gate: gate ? publicFields(gate) : null,
        runs: runs.map(publicFields),
      };
    }),
  );
  if (options.json) return (print(JSON.stringify({ pipelines: list })), 0);
  if (list.length === 0) return (print('No pipelines in the config.'), 0);
  for (const p of list) {
    const state = String(p.gate?.state ?? 'waiting');
    print(
      `${paint(p.name, 'bold')}  ${p.collection}  requires ${p.requires.join(', ')} within ${p.window}  gate ${status(state)}`,
    );
    if (p.runs.length > 0)
      print(
        table(
          ['  EXECUTION', 'STATUS', 'STARTED', 'FINISHED'],
          p.runs.map((r) => [
            `  ${String(r.execution_name)}`,
            status(String(r.status)),
            String(r.started_at ?? ''),
            String(r.finished_at ?? ''),
          ]),
        ),
      );
  }
  return 0;
}
