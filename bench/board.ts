/**
 * The freshness board with 500 sources, in Debian's chromium: how long the page takes to build the grid,
 * to patch it on each poll, and how long a failure takes to show. The sources go in through the local
 * stack's signed webhook, as in use. Run alone with `npx tsx bench/board.ts`; `npm run bench` includes it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { readConfigFile } from '../bin/config-file';
import { signedHeaders } from '../lambda/core/signature';
import { startLocalStack } from '../local/stack';
import { launchChromium } from '../harness/browser';
import { currentPayload } from '../examples/payloads';

const SECRET = `whsec_${Buffer.from('board-benchmark-signing-secret-32').toString('base64')}`;
const TYPES = [
  'github',
  'slack',
  'linear',
  'notion',
  'jira',
  'confluence',
  'gmail',
  'drive',
  'asana',
  'zendesk',
];

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const max = (values: readonly number[]) => Math.max(...values);
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** Render measures the page recorded (`board:render`), in order. */
const renders = (page: Page) =>
  page.evaluate("performance.getEntriesByName('board:render').map((m) => m.duration)") as Promise<number[]>;
const updates = async (page: Page) => Number(await page.locator('body').getAttribute('data-updates'));

export async function boardRender(sources = 500, rounds = 10): Promise<string[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-board-'));
  const configFile = path.join(dataDir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      freshness: [
        { collection: '*', sourceType: 'github', maxAge: '6h' },
        { collection: '*', sourceType: 'slack', maxAge: '2h' },
      ],
      pipelines: [
        {
          name: 'digest',
          collection: 'collection-000',
          requires: ['github', 'linear'],
          window: '30m',
          steps: [],
        },
      ],
    }),
  );
  const stack = await startLocalStack({
    config: readConfigFile(configFile),
    secrets: [SECRET],
    dataDir,
    port: 0,
    dynamodbPort: 0,
    print: () => {},
  });
  const post = async (collection: string, type: string, event: string, at = new Date()) => {
    const body = JSON.stringify(
      currentPayload({
        event_type: event,
        timestamp: at.toISOString(),
        sync_job_id: randomUUID(),
        collection_readable_id: collection,
        collection_name: collection,
        source_type: type,
        source_connection_id: createHash('sha256')
          .update(`${collection}/${type}`)
          .digest('hex')
          .slice(0, 32)
          .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
        error: event === 'sync.failed' ? 'API token expired' : null,
      }),
    );
    const headers = signedHeaders(SECRET, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body);
    const response = await fetch(`${stack.url}/webhooks/airweave`, { method: 'POST', headers, body });
    if (!response.ok) throw new Error(`seeding answered ${response.status}: ${await response.text()}`);
  };
  const browser = await launchChromium();
  try {
    // 50 collections x 10 source types; a mix of every status.
    const seeds = Array.from({ length: sources }, (_, i) => {
      const collection = `collection-${String(Math.floor(i / TYPES.length)).padStart(3, '0')}`;
      const type = TYPES[i % TYPES.length] as string;
      const event = i % 13 === 0 ? 'sync.failed' : i % 7 === 0 ? 'sync.running' : 'sync.completed';
      const at = i % 11 === 0 ? new Date(Date.now() - 8 * 3600_000) : new Date();
      return () => post(collection, type, event, at);
    });
    for (let i = 0; i < seeds.length; i += 16) await Promise.all(seeds.slice(i, i + 16).map((s) => s()));

    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const started = performance.now();
    await page.goto(`${stack.url}/`);
    await page
      .locator('.tile')
      .nth(sources - 1)
      .waitFor();
    const firstView = performance.now() - started;
    const [build] = await renders(page);

    // Polls that patch the grid in place (ages move, nothing else changes).
    // (Waited for from here: the page's CSP rightly refuses the string evaluation waitForFunction uses.)
    while ((await updates(page)) < rounds + 1) await new Promise((r) => setTimeout(r, 200));
    const patches = (await renders(page)).slice(1, rounds + 1);

    // A failure arriving: from the webhook's answer to the cell showing it, without a reload.
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const collection = `collection-${String(10 + i).padStart(3, '0')}`;
      await post(collection, 'notion', 'sync.completed');
      await page.waitForSelector(
        `.tile[data-collection="${collection}"][data-source="notion"][data-status="fresh"]`,
        { timeout: 15_000 },
      );
      const before = await updates(page);
      const sent = performance.now();
      await post(collection, 'notion', 'sync.failed');
      await page.waitForSelector(
        `.tile[data-collection="${collection}"][data-source="notion"][data-status="failed"]`,
        { timeout: 15_000 },
      );
      latencies.push(performance.now() - sent);
      if ((await updates(page)) <= before) throw new Error('the cell changed without an update');
    }

    // A full rebuild (the filter changes the grid's shape), then back to all 500.
    await page.fill('#filter', 'collection-00');
    await page.fill('#filter', '');
    const rebuilds = (await renders(page)).slice(-2);
    return [
      '## Freshness board',
      '',
      `${sources} sources (50 collections x 10 source types, every status) in the local stack, the page in Debian's chromium (headless, this shared machine). A render is one full update of the page: grid, pipelines, alerts, measured in the page (\`performance.measure\`).`,
      '',
      '| figure | value |',
      '| --- | --- |',
      `| first view: navigation to ${sources} tiles on screen (fetches included) | ${ms(firstView)} |`,
      `| first render: building the grid | ${ms(build ?? NaN)} |`,
      `| poll update, grid patched in place: median / max of ${patches.length} | ${ms(median(patches))} / ${ms(max(patches))} |`,
      `| rebuild after a filter change: all ${sources} tiles | ${ms(rebuilds[1] ?? NaN)} |`,
      `| a failure, webhook answered to cell turned failed: median / max of ${latencies.length} (polls every 2 s) | ${ms(median(latencies))} / ${ms(max(latencies))} |`,
    ];
  } finally {
    await browser.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module)
  boardRender().then(
    (lines) => console.log(lines.join('\n')),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
