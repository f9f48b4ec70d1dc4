/**
 * Regenerates the README's pictures of the freshness board (`docs/board.png`, `docs/board-dark.png`): a
 * local stack on free ports with a few collections, events sent through its signed webhook, the page in
 * Debian's chromium. Run with `npx tsx scripts/board-screenshot.ts`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readConfigFile } from '../bin/config-file';
import { signedHeaders } from '../lambda/core/signature';
import { startLocalStack } from '../local/stack';
import { launchChromium } from '../harness/browser';
import { currentPayload } from '../examples/payloads';

const SECRET = `whsec_${Buffer.from('board-screenshot-signing-secret!').toString('base64')}`;
const DOCS = path.join(__dirname, '..', 'docs');
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-screenshot-'));
  const configFile = path.join(dataDir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      freshness: [
        { collection: '*', sourceType: 'github', maxAge: '6h' },
        { collection: '*', sourceType: 'linear', maxAge: '6h' },
        { collection: '*', sourceType: 'slack', maxAge: '2h' },
      ],
      alerts: [
        { team: 'platform', match: { collections: ['engineering-*'] }, emails: [] },
        { team: 'support', match: { collections: ['support-*'] }, emails: [] },
      ],
      pipelines: [
        {
          name: 'error-analysis',
          collection: 'engineering-context-ab123',
          requires: ['github', 'linear'],
          window: '30m',
          team: 'platform',
          steps: [],
        },
        {
          name: 'weekly-digest',
          collection: 'support-kb-7f2c1',
          requires: ['zendesk', 'slack'],
          window: '1h',
          team: 'support',
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
  const send = async (collection: string, type: string, event: string, at: Date, error?: string) => {
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
        error: error ?? null,
      }),
    );
    const headers = signedHeaders(SECRET, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body);
    const response = await fetch(`${stack.url}/webhooks/airweave`, { method: 'POST', headers, body });
    if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  };
  const browser = await launchChromium();
  try {
    const eng = 'engineering-context-ab123';
    await send(eng, 'github', 'sync.completed', minutesAgo(12));
    await send(eng, 'linear', 'sync.completed', minutesAgo(3));
    await send(eng, 'slack', 'sync.completed', minutesAgo(190));
    await send(eng, 'notion', 'sync.running', minutesAgo(4));
    await send(eng, 'confluence', 'sync.completed', minutesAgo(45));
    const sales = 'sales-playbooks-9d0e2';
    await send(sales, 'gmail', 'sync.completed', minutesAgo(20));
    await send(sales, 'drive', 'sync.failed', minutesAgo(7), 'Google Drive: 403 insufficient permissions');
    await send(sales, 'slack', 'sync.completed', minutesAgo(30));
    await send(sales, 'notion', 'sync.cancelled', minutesAgo(60));
    const support = 'support-kb-7f2c1';
    await send(support, 'zendesk', 'sync.completed', minutesAgo(25));
    await send(support, 'slack', 'sync.failed', minutesAgo(2), 'Slack API: token_revoked');
    await send(support, 'confluence', 'sync.completed', minutesAgo(70));
    await send(support, 'linear', 'sync.running', minutesAgo(1));
    await stack.idle();

    const page = await browser.newPage({ viewport: { width: 1720, height: 720 } });
    await page.goto(`${stack.url}/`);
    await page.locator('.tile').nth(12).waitFor();
    await page.locator('.pipeline .runs').first().waitFor();
    await page.screenshot({ path: path.join(DOCS, 'board.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(DOCS, 'board-dark.png') });
  } finally {
    await browser.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
