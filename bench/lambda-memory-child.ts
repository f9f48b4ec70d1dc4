/**
 * One memory size of `lambda-memory.ts`: the webhook and the naive handler under the latency model, in a
 * process the parent has put in a CPU-limited cgroup before it says `go`. Reports each delivery's time
 * (the engine's stalls taken out, as in the latency section).
 */
import { performance } from 'node:perf_hooks';
import { payload, request, wiring } from './latency';

export interface MemorySample {
  readonly plain: number[];
  readonly naive: number[];
  readonly wrong: number;
}

async function run(endpoint: string, rounds: number): Promise<MemorySample> {
  const { webhook, naive, trips } = await wiring(endpoint, 5);
  const times = { plain: [] as number[], naive: [] as number[] };
  let wrong = 0;
  const warmup = Math.ceil(rounds / 10);
  for (let i = 0; i < rounds + warmup; i++) {
    for (const kind of i % 2 === 0 ? (['plain', 'naive'] as const) : (['naive', 'plain'] as const)) {
      const event = request(payload({}));
      trips.reset();
      const started = performance.now();
      const response = await (kind === 'plain' ? webhook : naive)(event);
      const elapsed = performance.now() - started - trips.stallMs;
      if (response.statusCode !== 200) wrong++;
      if (i >= warmup) times[kind].push(elapsed);
    }
  }
  return { ...times, wrong };
}

const [endpoint, rounds] = process.argv.slice(2);
process.once('message', () => {
  void run(endpoint ?? '', Number(rounds)).then(
    (sample) => process.send?.(sample, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
process.send?.('ready');
