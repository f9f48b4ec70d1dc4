import { CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { FAILURE_INDEX_ATTRIBUTES, GSI1, GSI2, GSI3, KEY, TTL_ATTRIBUTE } from '../lambda/core/table-schema';

export interface SyncTableProps {
  /**
   * What happens to the table when the stack is deleted. The table is the audit record, so it outlives the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The single table holding freshness, job states, audit events, quarantined deliveries and pipeline runs.
 *
 * The key schema, every item type and the access pattern each one serves (docs/DESIGN.md section 4) are written down
 * once, in `lambda/core/table-schema.ts`; this construct imports its attribute names from there so the
 * deployed table and the code that reads and writes it cannot drift apart.
 *
 * On-demand billing because sync events arrive in bursts of a few a minute; point-in-time recovery because
 * the table is the only copy of the audit trail; TTL expires audit items after the configured retention.
 */
export class SyncTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: SyncTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: KEY.pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: KEY.sk, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Projection ALL: every index query (freshness of all sources, a source's history) returns whole items,
    // and items are small, so a second GetItem per result would cost more than the extra index storage.
    for (const gsi of [GSI1, GSI2]) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: { name: gsi.pk, type: dynamodb.AttributeType.STRING },
        sortKey: { name: gsi.sk, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    // Sparse (only failures carry its keys) and narrow: freshness at T reads a collection's failures newest
    // first to find each source's latest one, then that one event by key; a failure with a long error costs
    // one index write unit, not one per kilobyte of its error.
    this.table.addGlobalSecondaryIndex({
      indexName: GSI3.name,
      partitionKey: { name: GSI3.pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: GSI3.sk, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...FAILURE_INDEX_ATTRIBUTES],
    });
  }
}

/**
 * The cdk-nag finding a grant on `table` raises on a role: table grants always include the table's
 * indexes (`<table ARN>/index/*`), and cdk-nag names the table by its CloudFormation logical id.
 */
export function indexWildcardFinding(table: dynamodb.ITable): string {
  const resource = table.node.defaultChild;
  const ref = resource instanceof CfnElement ? Stack.of(table).getLogicalId(resource) : table.node.id;
  return `AwsSolutions-IAM5[Resource::<${ref}.Arn>/index/*]`;
}
