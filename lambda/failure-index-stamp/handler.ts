import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { putResponse } from '../adapters/cloudformation-response';
import { DynamoStampStore } from '../adapters/failure-index-stamp';
import { functionClient } from '../adapters/sdk-clients';
import { lambdaTelemetry } from '../adapters/telemetry';
import { SERVICE } from '../core/metrics';
import { makeStampHandler } from './app';

// Cold start: one client per container. The table comes with each request (the resource's properties).
const telemetry = lambdaTelemetry(SERVICE.failureIndexStamp);
const stamp = makeStampHandler({
  store: new DynamoStampStore(functionClient(DynamoDBClient)),
  respond: putResponse,
  now: () => new Date(),
  log: telemetry.log,
});

/** Invoked by CloudFormation (asynchronously) for the stack's `Custom::FailureIndexStamp` resource. */
export const handler = telemetry.inContext(stamp);
