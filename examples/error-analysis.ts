/**
 * The worked example's pipeline step (config/default.json, pipeline `error-analysis`): it runs once both
 * the GitHub and the Linear source of the collection completed within 30 minutes, and receives what the
 * run consumed. A real step would query the fresh collection through Airweave's search API and file its
 * findings; this one reports what it would analyse, so the chain can be seen working end to end.
 */
interface PipelineInput {
  readonly pipeline: string;
  readonly collection: string;
  readonly consumed: Record<string, { source_type: string; job_id: string; completed_at: string }>;
}

export async function handler(
  input: PipelineInput,
): Promise<{ analysed: string; sources: string[]; newest: string }> {
  const completions = Object.values(input.consumed);
  if (completions.length === 0)
    throw new Error('nothing consumed: the gate should never start a run like this');
  const newest = completions
    .map((c) => c.completed_at)
    .sort()
    .at(-1) as string;
  console.log(
    JSON.stringify({
      message: 'analysing fresh context',
      collection: input.collection,
      consumed: input.consumed,
    }),
  );
  return { analysed: input.collection, sources: completions.map((c) => c.source_type).sort(), newest };
}
