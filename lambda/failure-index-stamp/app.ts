import * as z from 'zod/mini';
import '../core/zod';
import type { CustomResourceResponse } from '../adapters/cloudformation-response';
import {
  failedStampId,
  handleStampRequest,
  STAMP_PROPERTIES,
  type StampRequestInput,
  type StampStore,
} from '../core/failure-index-stamp';
import type { Log } from '../core/ports';

/** What CloudFormation sends a Lambda-backed custom resource: the fields this one reads. */
const cfnRequest = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.string().check(z.minLength(1)),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.optional(z.string()),
  ResourceProperties: z.optional(z.record(z.string(), z.unknown())),
});

// CloudFormation hands every property value to the function as a string, whatever the template says.
const stampProperties = z.object({
  [STAMP_PROPERTIES.tableName]: z.string().check(z.minLength(1)),
  [STAMP_PROPERTIES.drainSeconds]: z.union([z.string().check(z.regex(/^\d{1,6}$/)), z.int()]),
});

/** Time kept back from the function's own timeout to answer CloudFormation after the work gave up. */
const ANSWER_RESERVE_MS = 6000;

export interface StampHandlerDeps {
  readonly store: StampStore;
  /** Answers CloudFormation (`putResponse`); a rejection fails the invocation, which Lambda retries. */
  readonly respond: (responseUrl: string, response: CustomResourceResponse) => Promise<void>;
  readonly now: () => Date;
  readonly log: Log;
}

/** The Lambda context's part the handler uses; absent when a test calls the handler with the event alone. */
export interface StampContext {
  getRemainingTimeInMillis(): number;
}

/**
 * The stamp function: parses CloudFormation's request, runs the use case (`core/failure-index-stamp.ts`)
 * and always answers, SUCCESS or FAILED with the reason, before its own timeout. An unanswered request
 * would leave the stack waiting for the resource's service timeout. Only a request with nothing to answer
 * to (no response URL) throws.
 */
export function makeStampHandler(deps: StampHandlerDeps) {
  return async (event: unknown, context?: StampContext): Promise<void> => {
    const parsed = cfnRequest.safeParse(event);
    if (!parsed.success)
      throw new Error(`not a CloudFormation custom resource request: ${z.prettifyError(parsed.error)}`);
    const request = parsed.data;
    const answer = (status: 'SUCCESS' | 'FAILED', physicalId: string, reason: string) =>
      deps.respond(request.ResponseURL, {
        Status: status,
        Reason: reason,
        PhysicalResourceId: physicalId,
        StackId: request.StackId,
        RequestId: request.RequestId,
        LogicalResourceId: request.LogicalResourceId,
      });

    const properties = stampProperties.safeParse(request.ResourceProperties ?? {});
    // A Delete needs no properties (what it owns is in its physical id), so it never fails on them: a stack
    // whose Create was refused for its properties must still roll back and delete.
    if (!properties.success && request.RequestType !== 'Delete') {
      const reason = `bad properties of the failure index stamp: ${z.prettifyError(properties.error)}`;
      deps.log.error('failure index stamp refused', { request: request.RequestType, reason });
      // Nothing was written, so the id claims nothing: the rollback's Delete has nothing to take back.
      return answer('FAILED', request.PhysicalResourceId ?? `unstamped/${request.RequestId}`, reason);
    }
    const now = deps.now();
    const data = properties.success ? properties.data : undefined;
    const input: StampRequestInput = {
      request: request.RequestType,
      tableName: data?.[STAMP_PROPERTIES.tableName] ?? '',
      drainSeconds: Number(data?.[STAMP_PROPERTIES.drainSeconds] ?? 0),
      ...(request.PhysicalResourceId !== undefined && { physicalId: request.PhysicalResourceId }),
    };
    let result: { status: 'SUCCESS' | 'FAILED'; physicalId: string; reason: string };
    try {
      const budget = context ? context.getRemainingTimeInMillis() - ANSWER_RESERVE_MS : undefined;
      const outcome = await withDeadline(handleStampRequest(deps.store, input, now), budget);
      deps.log.info('failure index stamp', { request: input.request, ...outcome });
      result = { status: 'SUCCESS', ...outcome };
    } catch (error) {
      const reason = `failure index stamp (${input.request}) failed: ${(error as Error).message}`;
      deps.log.error('failure index stamp failed', { request: input.request, reason });
      result = { status: 'FAILED', physicalId: failedStampId(input, now), reason };
    }
    // Outside the try: a failed answer is not a FAILED resource but a failed invocation, which Lambda
    // retries (asynchronous invocation), and every step above is safe to repeat.
    await answer(result.status, result.physicalId, result.reason);
  };
}

function withDeadline<T>(work: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`did not finish within the function's time (${Math.max(ms, 0)} ms)`)),
      Math.max(ms, 0),
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
