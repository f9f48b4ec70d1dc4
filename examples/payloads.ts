/**
 * Airweave's sync lifecycle payload as it sends it today, one example: the tests' fixtures and the
 * benchmark build their deliveries from it, so both exercise the same shape.
 */
export interface CurrentPayload {
  event_type: string;
  timestamp: string;
  organization_id: string;
  sync_id: string;
  sync_job_id: string;
  collection_id: string;
  source_connection_id: string;
  source_type: string;
  collection_name: string;
  collection_readable_id: string;
  entities_inserted: number;
  entities_updated: number;
  entities_deleted: number;
  entities_skipped: number;
  chunks_written: number;
  error: string | null;
}

/** A payload exactly as Airweave sends it today (flat, snake_case, microsecond timestamps). */
export function currentPayload(overrides: Partial<CurrentPayload> = {}): CurrentPayload {
  return {
    event_type: 'sync.completed',
    timestamp: '2026-04-23T13:50:01.482913Z',
    organization_id: '8d1c1f2e-5b4a-4c1e-9f3a-1b2c3d4e5f60',
    sync_id: '5f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
    sync_job_id: '0b7e3c9a-2f4d-4e8b-9c1a-6d5e4f3a2b1c',
    collection_id: 'c0ffee00-1111-4222-8333-444455556666',
    source_connection_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    source_type: 'github',
    collection_name: 'Engineering Context',
    collection_readable_id: 'engineering-context-ab123',
    entities_inserted: 0,
    entities_updated: 0,
    entities_deleted: 0,
    entities_skipped: 0,
    chunks_written: 0,
    error: null,
    ...overrides,
  };
}
