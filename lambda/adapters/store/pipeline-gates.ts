import { claims, pipelineBlockStandoff, type Claimant, type Standoff } from '../../core/claims';
import type { Consumed, GateState } from '../../core/pipeline-gate';
import { toGateState } from '../../core/pipeline-gate';
import type { PipelineGates } from '../../core/ports';
import { keys } from '../../core/table-schema';
import type { ItemTable } from './item-table';

/** The pipeline gate items, behind the claims of `core/claims.ts`. */
export class TablePipelineGates implements PipelineGates {
  constructor(private readonly table: ItemTable) {}

  async pipelineGate(name: string): Promise<GateState | undefined> {
    const item = await this.table.get(keys.pipelineGate(name));
    return item && toGateState(item);
  }

  async claimPipelineRun(
    spec: { name: string; collection: string },
    expectedVersion: number,
    claim: {
      executionName: string;
      input: string;
      consumed: Readonly<Record<string, Consumed>>;
      now: string;
    },
  ): Promise<boolean> {
    return (await this.table.apply(claims.pipelineRun(spec, expectedVersion, claim))) !== undefined;
  }

  async confirmPipelineRun(name: string, executionName: string): Promise<void> {
    await this.table.apply(claims.confirmPipelineRun(name, executionName));
  }

  async blockPipeline(
    spec: { name: string; collection: string },
    jobId: string,
    claimant: Claimant,
    now: string,
  ): Promise<'claimed' | Standoff> {
    if (await this.table.apply(claims.blockPipeline(spec, jobId, claimant, now))) return 'claimed';
    return pipelineBlockStandoff(await this.table.get(keys.pipelineGate(spec.name)), jobId, claimant.message);
  }

  async confirmPipelineBlocked(name: string, jobId: string): Promise<void> {
    await this.table.apply(claims.confirmPipelineBlocked(name, jobId));
  }

  async unblockPipeline(name: string, jobId: string): Promise<void> {
    await this.table.apply(claims.unblockPipeline(name, jobId));
  }
}
