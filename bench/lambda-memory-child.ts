/**
 * One memory size of `lambda-memory.ts`: the webhook and the naive handler under the latency model, in a
 * process the parent has put in a CPU-limited cgroup before it says `go`. Reports each delivery's time
 * (the engine's stalls taken out, as in the latency section) and CPU.
 */
import { performance } from 'node:perf_hooks';
import { payload, request, wiring } from './latency';

export interface MemorySample {
  readonly plain: number[];
  readonly naive: number[];
  readonly plainCpu: number[];
  readonly wrong: number;
}

async function run(endpoint: string, rounds: number): Promise<MemorySample> {
  const { webhook, naive, trips } = await wiring(endpoint, 5);
  const out: MemorySample = { plain: [], naive: [], plainCpu: [], wrong: 0 };
  let wrong = 0;
  const warmup = Math.ceil(rounds / 10);
  for (let i = 0; i < rounds + warmup; i++) {
    for (const kind of i % 2 === 0 ? (['plain', 'naive'] as const) : (['naive', 'plain'] as const)) {
      const event = request(payload({}));
      trips.reset();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const response = await (kind === 'plain' ? webhook : naive)(event);
      const elapsed = performance.now() - started - trips.stallMs;
      const cpu = process.cpuUsage(cpuBefore);
      if (response.statusCode !== 200) wrong++;
      if (i < warmup) continue;
      out[kind].push(elapsed);
      if (kind === 'plain') out.plainCpu.push((cpu.user + cpu.system) / 1000);
    }
  }
  return { ...out, wrong };
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
