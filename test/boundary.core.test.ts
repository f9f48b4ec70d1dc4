import { createHash } from 'node:crypto';
import {
  boundaryProblem,
  deliveryIdProblem,
  deliveryKeyId,
  KEY_LIMIT_BYTES,
  keyProblem,
  LIFECYCLE_KEY_SHAPES,
  MAX_DELIVERY_ID_BYTES,
  maxKeyPartBytes,
  roomFor,
  timeProblem,
} from '../lambda/core/boundary';
import { classifyPayload } from '../lambda/core/events';
import { keys } from '../lambda/core/table-schema';
import { syncEvent } from './helpers/core-fixtures';
import { legacyPayload } from '../harness/deliveries';

const NOW = new Date('2026-04-23T13:55:00.000Z');
const SIGNED_AT = Math.floor(NOW.getTime() / 1000);
const limits = { signedAt: SIGNED_AT, toleranceSeconds: 300, now: NOW, retentionDays: 30 };
const at = (timestamp: string) => syncEvent({ timestamp });

describe('event time bounds', () => {
  it('accepts a time up to the signature tolerance after the svix-timestamp, and refuses one microsecond more', () => {
    expect(timeProblem(at('2026-04-23T14:00:00.000000Z'), limits)).toBeUndefined();
    expect(timeProblem(at('2026-04-23T14:00:00.000001Z'), limits)).toBe(
      "timestamp 2026-04-23T14:00:00.000001Z is later than the delivery's svix-timestamp " +
        '(2026-04-23T13:55:00.000000Z) plus the 300 s signature tolerance',
    );
  });

  it('accepts a time at the start of the retention, and refuses one microsecond before it', () => {
    expect(timeProblem(at('2026-03-24T13:55:00.000000Z'), limits)).toBeUndefined();
    expect(timeProblem(at('2026-03-24T13:54:59.999999Z'), limits)).toBe(
      'timestamp 2026-03-24T13:54:59.999999Z is older than the 30-day retention (earliest 2026-03-24T13:55:00.000000Z)',
    );
  });

  it('a time problem is reported before a key problem; an event within every bound has none', () => {
    const both = syncEvent({ timestamp: '2026-04-24T00:00:00Z', source_connection_id: '€'.repeat(400) });
    expect(boundaryProblem(both, limits)).toMatch(/^timestamp /);
    const keyOnly = syncEvent({ timestamp: '2026-04-23T13:00:00Z', source_connection_id: '€'.repeat(400) });
    expect(boundaryProblem(keyOnly, limits)).toMatch(/^source_connection_id is 1200 bytes/);
    expect(boundaryProblem(syncEvent({ timestamp: '2026-04-23T13:00:00Z' }), limits)).toBeUndefined();
  });
});

describe('key sizes', () => {
  // The smallest value of every other part, so each part can reach its own maximum.
  const smallest = {
    collection_readable_id: 'c',
    source_connection_id: 's',
    sync_job_id: 'j',
    event_type: 'sync.failed',
  };
  const fields = {
    collection: 'collection_readable_id',
    source: 'source_connection_id',
    jobId: 'sync_job_id',
  } as const;

  it.each(Object.entries(fields))(
    'a %s of the largest size that fits is accepted, one byte more is refused with its reason',
    (part, field) => {
      const max = maxKeyPartBytes(part as keyof typeof fields);
      expect(max).toBeGreaterThan(100);
      expect(keyProblem(syncEvent({ ...smallest, [field]: 'a'.repeat(max) }))).toBeUndefined();
      const reason = keyProblem(syncEvent({ ...smallest, [field]: 'a'.repeat(max + 1) }));
      expect(reason).toMatch(
        new RegExp(
          `^${field} is ${max + 1} bytes \\(UTF-8\\): the \\w+ item's (partition|sort) key \\w+ would be \\d+ bytes, ` +
            `over DynamoDB's (1024|2048)-byte (partition|sort) key limit; ${max} bytes fit here$`,
        ),
      );
    },
  );

  it('counts bytes, not characters: a three-byte character takes three', () => {
    const max = maxKeyPartBytes('source');
    const euros = Math.floor(max / 3);
    expect(keyProblem(syncEvent({ ...smallest, source_connection_id: '€'.repeat(euros) }))).toBeUndefined();
    expect(keyProblem(syncEvent({ ...smallest, source_connection_id: '€'.repeat(euros + 1) }))).toMatch(
      new RegExp(`^source_connection_id is ${(euros + 1) * 3} bytes`),
    );
  });

  it('the reason says how many bytes fit beside the other fields as they are, and that many do fit', () => {
    const long = { collection_readable_id: 'k'.repeat(300) };
    const reason = keyProblem(syncEvent({ ...long, source_connection_id: '€'.repeat(400) }))!;
    const room = Number(/; (\d+) bytes fit here$/.exec(reason)![1]);
    expect(reason).toMatch(/^source_connection_id is 1200 bytes/);
    expect(keyProblem(syncEvent({ ...long, source_connection_id: 's'.repeat(room) }))).toBeUndefined();
    expect(keyProblem(syncEvent({ ...long, source_connection_id: 's'.repeat(room + 1) }))).toBeDefined();
  });

  it('names the largest field of the key that is over, and the field the sender used', () => {
    const both = syncEvent({
      collection_readable_id: 'c'.repeat(700),
      source_connection_id: 's'.repeat(600),
    });
    expect(keyProblem(both)).toMatch(/^collection_readable_id is 700 bytes/);
    const bySource = syncEvent({
      collection_readable_id: 'c'.repeat(600),
      source_connection_id: 's'.repeat(700),
    });
    expect(keyProblem(bySource)).toMatch(/^source_connection_id is 700 bytes/);
    // Without a readable id, the collection is keyed by its UUID field.
    const byUuid = syncEvent({ collection_readable_id: '', collection_id: '€'.repeat(400) });
    expect(keyProblem(byUuid)).toMatch(/^collection_id is 1200 bytes/);
    const legacy = classifyPayload(JSON.stringify(legacyPayload({ job_id: '€'.repeat(400) })));
    if (legacy.kind !== 'lifecycle') throw new Error('expected a lifecycle event');
    expect(keyProblem(legacy.event)).toMatch(/^job_id is 1200 bytes/);
  });

  it('of two fields taking as much of the key, names the first the key holds; a source without a connection id by its type', () => {
    // The freshness item's gsi1sk holds the collection, then the source.
    const tie = syncEvent({ collection_readable_id: 'c'.repeat(600), source_connection_id: 's'.repeat(600) });
    expect(keyProblem(tie)).toMatch(/^collection_readable_id is 600 bytes/);
    const byType = syncEvent({ source_connection_id: undefined, source_type: '€'.repeat(400) });
    expect(byType.source_connection_id).toBeNull();
    // Its size and room are the field's, not those of the key part (`type:` and the field).
    const reason = keyProblem(byType)!;
    expect(reason).toMatch(
      /^source_type is 1200 bytes \(UTF-8\): the freshness item's sort key sk would be 1209 bytes/,
    );
    const room = Number(/; (\d+) bytes fit here$/.exec(reason)![1]);
    expect(
      keyProblem(syncEvent({ source_connection_id: undefined, source_type: 't'.repeat(room) })),
    ).toBeUndefined();
    expect(
      keyProblem(syncEvent({ source_connection_id: undefined, source_type: 't'.repeat(room + 1) })),
    ).toBeDefined();
  });

  it('a part a key template holds twice gets half the room left beside the others', () => {
    const shape = {
      item: 'x',
      attribute: 'pk',
      kind: 'sort',
      limit: 1024,
      fixedBytes: 4,
      parts: { collection: 2, jobId: 1 },
    } as const;
    const sizes = { collection: 10, source: 10, timestamp: 27, jobId: 100, eventType: 11 };
    expect(roomFor(shape, 'collection', sizes)).toBe(Math.floor((1024 - 4 - 100) / 2));
    expect(roomFor(shape, 'jobId', sizes)).toBe(1024 - 4 - 2 * 10);
    expect(roomFor(shape, 'source', sizes)).toBe(Infinity);
  });

  it('every key attribute has a shape with the limit of its kind; partition keys allow 2048 bytes, sort keys 1024', () => {
    expect(KEY_LIMIT_BYTES).toEqual({ partition: 2048, sort: 1024 });
    expect(LIFECYCLE_KEY_SHAPES.length).toBeGreaterThan(4);
    for (const shape of LIFECYCLE_KEY_SHAPES) {
      expect(shape.limit).toBe(KEY_LIMIT_BYTES[shape.kind]);
      expect(shape.fixedBytes).toBeGreaterThan(0);
    }
    expect(maxKeyPartBytes('timestamp')).toBeGreaterThan(27);
  });

  it('an svix-id of the largest size fits every delivery key, and no larger one would', () => {
    const sizes = (id: string) =>
      [keys.quarantine, keys.ignored].flatMap((template) =>
        Object.entries(template(id, '2026-04-23T13:55:00.000000Z')).map(([attribute, value]) => ({
          limit: attribute.endsWith('pk') ? 2048 : 1024,
          bytes: Buffer.byteLength(value),
        })),
      );
    expect(sizes('m'.repeat(MAX_DELIVERY_ID_BYTES)).every((s) => s.bytes <= s.limit)).toBe(true);
    expect(sizes('m'.repeat(MAX_DELIVERY_ID_BYTES + 1)).some((s) => s.bytes > s.limit)).toBe(true);
  });
});

describe('delivery ids', () => {
  it('an id that fits keys its delivery as it is; a longer one, counted in UTF-8 bytes, is named and keyed by its digest', () => {
    const fits = 'm'.repeat(MAX_DELIVERY_ID_BYTES);
    expect(deliveryIdProblem(fits)).toBeUndefined();
    expect(deliveryKeyId(fits)).toBe(fits);
    const over = `${'m'.repeat(MAX_DELIVERY_ID_BYTES - 2)}€`;
    expect(deliveryIdProblem(over)).toBe(
      `svix-id is ${MAX_DELIVERY_ID_BYTES + 1} bytes, over the limit of ${MAX_DELIVERY_ID_BYTES} bytes of the table's delivery keys`,
    );
    expect(deliveryKeyId(over)).toBe(`sha256:${createHash('sha256').update(over).digest('hex')}`);
  });
});
