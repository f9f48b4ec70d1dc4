import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SettingError } from '../core/errors';
import type { PipelineStarter } from '../core/ports';
import { functionClient } from './sdk-clients';

/**
 * Starts a pipeline's Standard state machine. Step Functions answers a repeated StartExecution with the
 * same name and input with the original execution while it runs, and with ExecutionAlreadyExists once it
 * has finished: either way the execution exists, which is all a retry needs.
 */
export class SfnStarter implements PipelineStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArns: Readonly<Record<string, string>>,
  ) {}

  async start(pipeline: string, executionName: string, input: string): Promise<void> {
    const stateMachineArn = this.stateMachineArns[pipeline];
    if (!stateMachineArn) throw new SettingError(`no state machine for pipeline ${pipeline}`);
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input }));
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  }
}

/** A starter with a client of its own (the function's role and region), for a handler that loads it on first use. */
export function functionSfnStarter(stateMachineArns: Readonly<Record<string, string>>): SfnStarter {
  return new SfnStarter(functionClient(SFNClient), stateMachineArns);
}
