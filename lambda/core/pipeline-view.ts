import { formatDuration } from './duration';
import type { FreshnessRecord } from './freshness';
import { requirementMatches, type PipelineSpec } from './pipeline-gate';

export type GateStatus = 'waiting' | 'running' | 'blocked';

/** One pipeline in the `GET /pipelines` contract (docs/DESIGN.md section 6). */
export interface PipelineView {
  readonly name: string;
  readonly collection: string;
  readonly requires: readonly string[];
  readonly window: string;
  readonly gate: {
    readonly state: GateStatus;
    readonly runs_claimed: number;
    readonly last_started_at: string | null;
    readonly consumed: unknown;
    readonly blocked_by: string | null;
  };
  readonly runs: ReadonlyArray<{
    readonly execution_name: string;
    readonly status: string;
    readonly started_at: string | null;
    readonly finished_at: string | null;
    readonly consumed: unknown;
    readonly error: unknown;
  }>;
}

export interface PipelineReader {
  pipeline(
    name: string,
  ): Promise<{ gate: Record<string, unknown> | undefined; runs: Record<string, unknown>[] }>;
  collectionFreshness(collection: string): Promise<FreshnessRecord[]>;
}

const text = (v: unknown) => (typeof v === 'string' ? v : null);

/** The state machine stores JSON as text (States.JsonToString); readers get it back as JSON. */
function json(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export function pipelineView(
  spec: PipelineSpec,
  gate: Record<string, unknown> | undefined,
  runs: readonly Record<string, unknown>[],
  records: readonly FreshnessRecord[],
  limit = 10,
): PipelineView {
  const failedSource = spec.requires.some((r) =>
    records.some((s) => requirementMatches(r, s) && s.last_terminal_state === 'failed'),
  );
  const newest = [...runs].sort((a, b) => String(b.started_at).localeCompare(String(a.started_at)));
  const state: GateStatus =
    newest[0]?.status === 'running' ? 'running' : failedSource ? 'blocked' : 'waiting';
  return {
    name: spec.name,
    collection: spec.collection,
    requires: spec.requires,
    window: formatDuration(spec.window),
    gate: {
      state,
      runs_claimed: typeof gate?.version === 'number' ? gate.version : 0,
      last_started_at: text(gate?.last_started_at),
      consumed: gate?.consumed ?? null,
      blocked_by: state === 'blocked' ? text(gate?.blocked_by) : null,
    },
    runs: newest.slice(0, limit).map((run) => ({
      execution_name: String(run.execution_name ?? ''),
      status: String(run.status ?? 'unknown'),
      started_at: text(run.started_at),
      finished_at: text(run.finished_at),
      consumed: json(run.consumed),
      error: json(run.error),
    })),
  };
}

export async function pipelineViews(
  specs: readonly PipelineSpec[],
  reader: PipelineReader,
): Promise<PipelineView[]> {
  return Promise.all(
    specs.map(async (spec) => {
      const [{ gate, runs }, records] = await Promise.all([
        reader.pipeline(spec.name),
        reader.collectionFreshness(spec.collection),
      ]);
      return pipelineView(spec, gate, runs, records);
    }),
  );
}
