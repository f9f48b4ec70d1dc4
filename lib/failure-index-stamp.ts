import * as path from 'node:path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { STAMP_PROPERTIES } from '../lambda/core/failure-index-stamp';
import { keys } from '../lambda/core/table-schema';
import { SyncFunction } from './sync-function';

/** Lambda's timeout when a function sets none. */
const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);

export interface FailureIndexStampProps {
  /** The sync table whose `META / FAILURE_INDEX` item the stamp writes. */
  readonly table: dynamodb.ITable;
  /**
   * Every function that records events, and so failures (the webhook, the reconciler): the stamp is
   * written only once CloudFormation has updated each of them, and its margin covers the longest of their
   * timeouts (the invocations the old code still finishes).
   */
  readonly ingesting: readonly lambda.Function[];
  /**
   * Retention of the function's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Stamps a deployed table's failure index at deploy time (docs/DESIGN.md section 8): a custom resource
 * whose function writes, once every function that records failures runs code that indexes them, since
 * when the index holds every failure (`lambda/core/failure-index-stamp.ts` has the rule). Until then, and
 * on a table that never got it, freshness at T reads source by source: the same answers, more calls.
 *
 * A function of our own answers CloudFormation rather than the CDK provider framework, which would add a
 * second function (its own runtime, log group and invoke permissions) to relay one conditional PutItem.
 * It is invoked only by CloudFormation, with the deploying role's credentials, so it needs no resource
 * policy.
 */
export class FailureIndexStamp extends Construct {
  public readonly function: SyncFunction;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: FailureIndexStampProps) {
    super(scope, id);
    if (props.ingesting.length === 0)
      throw new Error('FailureIndexStamp: name the functions that record events (`ingesting`)');
    this.function = new SyncFunction(this, 'Function', {
      entry: path.join(__dirname, '..', 'lambda', 'failure-index-stamp', 'handler.ts'),
      description: 'Stamps since when the sync table failure index holds every failure (deploy time)',
      // One conditional write and one answer to CloudFormation; the handler answers FAILED before this runs
      // out, so the stack never waits on a silent resource.
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
    });
    // PutItem (the stamp) and DeleteItem (taking back its own stamp), on the table's `META` partition only:
    // the function can touch no record of the audit trail.
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resourceArns: [props.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [keys.failureIndexSince().pk] },
      },
    });

    const drain = Math.max(
      ...props.ingesting.map((fn) => (fn.timeout ?? LAMBDA_DEFAULT_TIMEOUT).toSeconds()),
    );
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::FailureIndexStamp',
      // A function that died without answering (it answers even on failure) holds the stack this long, not
      // CloudFormation's default hour; room for Lambda's two retries of an invocation that failed to answer.
      serviceTimeout: Duration.minutes(5),
      properties: {
        [STAMP_PROPERTIES.tableName]: props.table.tableName,
        [STAMP_PROPERTIES.drainSeconds]: drain,
      },
    });
    // The point of the stamp: written after each of these runs the new code (their updates are complete).
    for (const fn of props.ingesting) this.resource.node.addDependency(fn);
  }
}
