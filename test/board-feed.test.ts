import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BOARD_CSP, boardRoutes, loopbackHost, notificationsFeed } from '../local/board';
import { httpEvent } from '../harness/deliveries';

/** Local mode's recent alerts come from the notifications file the local SNS stand-in writes. */
describe("the board's local alert feed", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sync-events-board-feed-'));
  const line = (at: string, team: string, subject: string, channel = 'alert') =>
    `${JSON.stringify({
      at,
      channel,
      team,
      subject,
      kind: 'sync.failed',
      message: { kind: 'sync.failed', event: { collection_readable_id: 'c1', source_type: 'github' } },
    })}\n`;

  it('merges one alert published to several teams, newest first, skipping events and broken lines', async () => {
    const file = path.join(dir, 'notifications.jsonl');
    writeFileSync(file, line('2026-04-23T13:00:00.000Z', 'platform', 'Sync failed: c1 / github: a'));
    appendFileSync(file, line('2026-04-23T13:00:00.010Z', 'security', 'Sync failed: c1 / github: a'));
    appendFileSync(file, line('2026-04-23T13:01:00.000Z', 'platform', 'not an alert', 'events'));
    appendFileSync(file, '{"at": "half a line\n');
    appendFileSync(file, line('2026-04-23T13:02:00.000Z', 'default', 'Sync failed: c1 / github: b'));
    const alerts = await notificationsFeed(file).recent(new Date());
    expect(alerts).toEqual([
      expect.objectContaining({ subject: 'Sync failed: c1 / github: b', teams: ['default'] }),
      {
        at: '2026-04-23T13:00:00.000Z',
        kind: 'sync.failed',
        subject: 'Sync failed: c1 / github: a',
        collection_readable_id: 'c1',
        source_type: 'github',
        teams: ['platform', 'security'],
        state: 'sent',
      },
    ]);
  });

  it("reads only the file's tail, dropping the line cut in two", async () => {
    const file = path.join(dir, 'long.jsonl');
    const old = line('2026-04-23T12:00:00.000Z', 'platform', 'old');
    writeFileSync(file, old.repeat(100));
    appendFileSync(file, line('2026-04-23T13:00:00.000Z', 'platform', 'new'));
    const alerts = await notificationsFeed(file, 50, old.length * 2 + 10).recent(new Date());
    expect(alerts.map((a) => a.subject)).toEqual(['new', 'old']);
  });

  it('is empty before the first alert', async () => {
    await expect(notificationsFeed(path.join(dir, 'none.jsonl')).recent(new Date())).resolves.toEqual([]);
  });
});

describe('the board answers loopback names only (DNS rebinding)', () => {
  it.each([
    ['127.0.0.1:3000', true],
    ['localhost:3001', true],
    ['[::1]:3000', true],
    ['localhost', true],
    ['evil.example:3000', false],
    ['127.0.0.1.evil.example', false],
    ['localhost.evil.example:3000', false],
    [undefined, false],
  ])('%s -> %s', (host, allowed) => {
    expect(loopbackHost(host)).toBe(allowed);
  });
});

describe("the board's routes", () => {
  const routes = boardRoutes({
    target: 'local stack',
    feed: { origin: 'none', recent: () => Promise.resolve([]) },
  });
  const call = async (method: string, path: string, host = '127.0.0.1:3000') => {
    const route = routes.find((r) => r.matches(path));
    if (!route) return undefined;
    return route.handler(httpEvent(method, path, { host }));
  };

  it('serve the page and its assets with their types and the security headers', async () => {
    const page = await call('GET', '/');
    expect(page?.statusCode).toBe(200);
    expect(page?.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': BOARD_CSP,
      'x-content-type-options': 'nosniff',
    });
    expect(Buffer.from(page?.body ?? '', 'base64').toString()).toContain(
      '<script src="/board/board.js" defer>',
    );
    expect((await call('GET', '/board/board.js'))?.headers?.['content-type']).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((await call('GET', '/board/alerts'))?.statusCode).toBe(200);
  });

  it('serve nothing else: other files, other methods, other host names', async () => {
    expect(await call('GET', '/board/../package.json')).toBeUndefined();
    expect(await call('GET', '/board/index.html')).toBeUndefined();
    expect((await call('POST', '/'))?.statusCode).toBe(405);
    expect((await call('GET', '/', 'attacker.example'))?.statusCode).toBe(421);
  });
});
