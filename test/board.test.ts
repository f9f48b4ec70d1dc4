import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { readConfigFile } from '../bin/config-file';
import { DynamoSourceRegistry } from '../lambda/adapters/dynamo-source-registry';
import { signedHeaders } from '../lambda/core/signature';
import { BOARD_CSP } from '../local/board';
import { localDynamoClient } from '../local/engine';
import { type LocalStack, startLocalStack } from '../local/stack';
import { launchChromium } from '../harness/browser';
import { currentPayload, SECRET } from '../harness/deliveries';

/**
 * The freshness board in a real browser (Debian's chromium, driven by playwright-core) against a real
 * local stack: events go in through the signed webhook, the page reads the same-origin endpoints.
 */
const ROOT = path.join(__dirname, '..');
/** Screenshots land here (git-ignored) for a person to look at after a run. */
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

const XSS_ERROR = `<img src=x onerror="window.__pwned='img'"><script>window.__pwned='script'</script> token expired`;
const XSS_NAME = `<svg onload="window.__pwned='svg'">Alpha`;

let dataDir: string;
let stack: LocalStack;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString();
/** A stable connection id (UUID-shaped, as Airweave's) per collection and source type. */
const connection = (collection: string, type: string) =>
  createHash('sha256')
    .update(`${collection}/${type}`)
    .digest('hex')
    .slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');

async function send(
  collection: string,
  type: string,
  event: string,
  extra: { error?: string; at?: string; job?: string; name?: string } = {},
): Promise<void> {
  const body = JSON.stringify(
    currentPayload({
      event_type: event,
      timestamp: extra.at ?? new Date().toISOString(),
      sync_job_id: extra.job ?? randomUUID(),
      collection_readable_id: collection,
      collection_name: extra.name ?? collection,
      source_type: type,
      source_connection_id: connection(collection, type),
      error: extra.error ?? null,
    }),
  );
  await deliver(body);
}

async function deliver(body: string): Promise<void> {
  const headers = signedHeaders(SECRET, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body);
  const response = await fetch(`${stack.url}/webhooks/airweave`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  expect(response.status).toBe(200);
}

/**
 * Code run in the page is passed as text: this project's TypeScript has no DOM library, and these few lines
 * are the browser's business.
 */
const inPage = <T>(p: Page, expression: string) => p.evaluate(expression) as Promise<T>;
const pwned = (p: Page) => inPage<string | undefined>(p, 'window.__pwned');

/** Every tile's status, keyed "collection/source type". */
function statuses(p: Page): Promise<Record<string, string>> {
  return inPage(
    p,
    `Object.fromEntries([...document.querySelectorAll('.tile')].map((t) => [
      t.dataset.collection + '/' + t.dataset.source, t.dataset.status]))`,
  );
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-board-'));
  const configFile = path.join(dataDir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      retentionDays: 30,
      freshness: [
        { collection: '*', sourceType: 'github', maxAge: '6h' },
        { collection: '*', sourceType: 'confluence', maxAge: '1h' },
      ],
      alerts: [{ team: 'platform', match: { collections: ['eng-*'] }, emails: [] }],
      pipelines: [
        { name: 'digest', collection: 'eng-alpha', requires: ['github', 'linear'], window: '30m', steps: [] },
      ],
    }),
  );
  stack = await startLocalStack({
    config: readConfigFile(configFile),
    secrets: [SECRET],
    dataDir,
    port: 0,
    dynamodbPort: 0,
    print: () => {},
  });
  // A known set, one source per status.
  await send('eng-alpha', 'github', 'sync.completed', { name: XSS_NAME });
  await send('eng-alpha', 'linear', 'sync.failed', { error: XSS_ERROR });
  await send('eng-alpha', 'notion', 'sync.running');
  await send('eng-alpha', 'confluence', 'sync.completed', { at: isoAgo(3 * 3600_000) });
  await send('eng-alpha', 'jira', 'sync.cancelled');
  await send('eng-beta', 'github', 'sync.completed');
  // Retired (Airweave said the connection was deleted): off the board unless asked for. Written through the
  // reconciler's registry adapter, the same write a source_connection.deleted delivery makes.
  await send('eng-gamma', 'slack', 'sync.completed');
  const client = localDynamoClient(stack.dynamodbEndpoint);
  await new DynamoSourceRegistry(client, stack.tableName).retireSource(
    'eng-gamma',
    connection('eng-gamma', 'slack'),
    new Date().toISOString(),
  );
  client.destroy();

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the freshness board in local mode', () => {
  it('serves the page with a strict Content-Security-Policy, on loopback only', async () => {
    const response = await page.goto(`${stack.url}/`);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers['content-security-policy']).toBe(BOARD_CSP);
    expect(BOARD_CSP).toContain("script-src 'self'");
    expect(BOARD_CSP).toContain("require-trusted-types-for 'script'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(new URL(stack.url).hostname).toBe('127.0.0.1');
    // A page under another name resolved to 127.0.0.1 (DNS rebinding) gets nothing.
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${stack.url}/freshness`);
      request({
        host: url.hostname,
        port: url.port,
        path: '/board/alerts',
        headers: { host: 'evil.example' },
      })
        .on('response', (r) => (r.resume(), resolve(r.statusCode ?? 0)))
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
  });

  it('shows each source with its status, age and SLA', async () => {
    await page.waitForSelector('.tile');
    expect(await statuses(page)).toEqual({
      'eng-alpha/confluence': 'stale',
      'eng-alpha/github': 'fresh',
      'eng-alpha/jira': 'unknown',
      'eng-alpha/linear': 'failed',
      'eng-alpha/notion': 'syncing',
      'eng-beta/github': 'fresh',
    });
    const confluence = page.locator('.tile[data-status="stale"]');
    await expect(confluence.textContent()).resolves.toMatch(/SLA 1 h.*ok 3 h ago/);
    await expect(page.locator('.tile[data-status="syncing"]').textContent()).resolves.toMatch(/job running/);
    await expect(page.locator('#updated').textContent()).resolves.toMatch(/^updated /);
    await expect(page.locator('#counts').textContent()).resolves.toContain('1 failed');
    await expect(page.locator('#pipelines').textContent()).resolves.toMatch(/digest.*gate blocked/);
  });

  it('shows retired sources only when asked', async () => {
    await page.locator('#retired').check();
    const retired = page.locator('.tile[data-collection="eng-gamma"][data-source="slack"]');
    await retired.and(page.locator('[data-status="retired"]')).waitFor({ timeout: 15_000 });
    await retired.press('Enter');
    await expect(page.locator('#details-list').textContent()).resolves.toMatch(/retired\d{4}-/);
    await page.keyboard.press('Escape');
    await page.locator('#retired').uncheck();
    await retired.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('inserts event text as text: a <script> or onerror= in an error runs nothing', async () => {
    const failed = page.locator('.tile[data-status="failed"]');
    await expect(failed.textContent()).resolves.toContain('<script>');
    await expect(page.locator('#alerts').textContent()).resolves.toContain('<img src=x onerror=');
    expect(
      await page.locator('.grid img, .grid script, .grid svg, #alerts img, #alerts script').count(),
    ).toBe(0);
    expect(await pwned(page)).toBeUndefined();
    expect(dialogs).toEqual([]);
    // And the policy stops an HTML sink outright, should one ever be added by mistake.
    const sink = await inPage<string>(
      page,
      `(() => { try { document.createElement('div').innerHTML = '<b>x</b>'; return 'parsed'; }
                catch (error) { return error.name; } })()`,
    );
    expect(sink).toBe('TypeError');
  });

  it('is usable by keyboard: arrows move between sources, Enter opens the details, Escape closes', async () => {
    await page.locator('#retired').focus();
    await page.keyboard.press('Tab'); // into the grid's one tab stop
    const focused = () =>
      inPage<string>(
        page,
        `document.activeElement.dataset.collection + '/' + document.activeElement.dataset.source`,
      );
    expect(await focused()).toBe('eng-alpha/confluence');
    // Columns are source types in order: confluence, github, jira, linear, notion.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('eng-alpha/linear');
    const outline = await inPage<string>(page, 'getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    const dialog = page.locator('#details');
    await expect(dialog.isVisible()).resolves.toBe(true);
    await expect(page.locator('#details-list').textContent()).resolves.toContain(XSS_ERROR);
    expect(await pwned(page)).toBeUndefined();
    await page.keyboard.press('Escape');
    await expect(dialog.isVisible()).resolves.toBe(false);
    expect(await focused()).toBe('eng-alpha/linear');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('eng-beta/github');
  });

  it('turns a cell failed when a failure arrives, without a reload', async () => {
    await inPage(page, 'window.__sameDocument = true');
    const updates = Number(await page.locator('body').getAttribute('data-updates'));
    await send('eng-beta', 'github', 'sync.failed', { error: 'GitHub token revoked' });
    const tile = page.locator('.tile[data-collection="eng-beta"][data-source="github"]');
    await tile.and(page.locator('[data-status="failed"]')).waitFor({ timeout: 15_000 });
    await expect(tile.textContent()).resolves.toContain('GitHub token revoked');
    await page.locator('#alerts', { hasText: 'GitHub token revoked' }).waitFor({ timeout: 15_000 });
    expect(await inPage(page, 'window.__sameDocument')).toBe(true);
    expect(Number(await page.locator('body').getAttribute('data-updates'))).toBeGreaterThan(updates);
    await page.screenshot({ path: path.join(ARTIFACTS, 'board-light.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'board-dark.png'), fullPage: true });
    // Dark mode is a palette of its own, not the light one.
    expect(await inPage(page, 'getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)');
  });
});

describe('sync-events board', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the same board from a table on 127.0.0.1, with alerts derived from the table', async () => {
    // The local engine stands in for a deployed stack's table: the same command path reads it.
    child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'cli', 'sync-events.js'),
        'board',
        '--local',
        '--endpoint',
        stack.dynamodbEndpoint,
        '--config',
        path.join(dataDir, 'config.json'),
        '--port',
        '0',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!/http:\/\/127\.0\.0\.1:\d+\//.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`board did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = (/http:\/\/127\.0\.0\.1:\d+\//.exec(output) as RegExpExecArray)[0];

    const other = await browser.newPage();
    await other.goto(url);
    await other.waitForSelector('.tile');
    expect(await statuses(other)).toEqual({
      'eng-alpha/confluence': 'stale',
      'eng-alpha/github': 'fresh',
      'eng-alpha/jira': 'unknown',
      'eng-alpha/linear': 'failed',
      'eng-alpha/notion': 'syncing',
      'eng-beta/github': 'failed',
    });
    await expect(other.locator('#target').textContent()).resolves.toContain('local stack');
    const alerts = (await (await fetch(`${url}board/alerts`)).json()) as {
      origin: string;
      alerts: Array<{ kind: string; subject: string; teams: string[]; state: string }>;
    };
    expect(alerts.origin).toMatch(/table/);
    expect(alerts.alerts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'sync.failed',
          subject: 'Sync failed: eng-beta / github: GitHub token revoked',
          teams: ['platform'],
          state: 'sent',
        }),
        expect.objectContaining({ kind: 'pipeline.blocked', teams: ['default'], state: 'open' }),
      ]),
    );
    expect(await pwned(other)).toBeUndefined();
    await other.close();

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
