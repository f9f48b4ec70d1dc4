import { pipelineViews } from '../../lambda/core/pipeline-view';
import { line, paint, status, table, time } from '../format';
import type { Target } from '../target';

/** Each configured pipeline with its gate state and recent runs, as `GET /pipelines` shows them. */
export async function pipelines(
  target: Target,
  options: { json?: boolean },
  print: (line: string) => void,
): Promise<number> {
  const list = await pipelineViews(target.config.pipelines, target.store);
  if (options.json) return (print(JSON.stringify({ pipelines: list })), 0);
  if (list.length === 0) return (print('No pipelines in the config.'), 0);
  for (const p of list) {
    print(
      line`${paint(p.name, 'bold')}  ${p.collection}  requires ${p.requires.join(' + ')} within ${p.window}  ` +
        line`gate ${status(p.gate.state)}  runs ${p.gate.runs_claimed}`,
    );
    if (p.runs.length > 0)
      print(
        table(
          ['  EXECUTION', 'STATUS', 'STARTED', 'FINISHED'],
          p.runs.map((r) => [
            `  ${r.execution_name}`,
            status(r.status),
            r.started_at ? time(r.started_at) : '',
            r.finished_at ? time(r.finished_at) : '',
          ]),
        ),
      );
  }
  return 0;
}
