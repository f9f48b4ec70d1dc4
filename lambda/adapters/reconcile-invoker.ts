import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { SyncEvent } from '../core/events';
import { functionClient } from './sdk-clients';

/**
 * The webhook's `reconcileSoon` on AWS: an asynchronous invocation of the reconcile function (Lambda queues
 * it and answers at once), so the delivery never waits for Airweave's API. The payload is what
 * `lambda/reconcile/handler.ts` reads as `suspect`.
 */
export function invokeReconcile(client: LambdaClient, functionName: string) {
  return async (event: SyncEvent): Promise<void> => {
    const { collection_readable_id, source_key, sync_job_id, state } = event;
    await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(
          JSON.stringify({ suspect: { collection_readable_id, source_key, sync_job_id, state } }),
        ),
      }),
    );
  };
}

/** `invokeReconcile` with a client of its own (the function's role and region), for a handler that loads it on first use. */
export function functionReconcileInvoker(functionName: string) {
  return invokeReconcile(functionClient(LambdaClient), functionName);
}
