import type { PipelineStarter } from '../lambda/core/ports';

/**
 * Stands in for StartExecution in gate tests (state machines themselves are executed in
 * pipeline-machine.test.ts): idempotent by name as Step Functions is, and able to fail on demand.
 */
export class RecordingStarter implements PipelineStarter {
  readonly executions = new Map<string, { pipeline: string; input: string }>();
  failing = false;
  calls = 0;

  async start(pipeline: string, executionName: string, input: string): Promise<void> {
    this.calls++;
    await Promise.resolve();
    if (this.failing) throw Object.assign(new Error('states unavailable'), { name: 'ServiceUnavailable' });
    const existing = this.executions.get(executionName);
    if (existing && existing.input !== input)
      throw Object.assign(new Error('different input'), { name: 'ExecutionAlreadyExists' });
    this.executions.set(executionName, { pipeline, input });
  }

  inputs(pipeline: string): Array<Record<string, unknown>> {
    return [...this.executions.values()]
      .filter((e) => e.pipeline === pipeline)
      .map((e) => JSON.parse(e.input) as Record<string, unknown>);
  }
}
