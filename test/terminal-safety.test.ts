import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readConfigFile } from '../bin/config-file';
import { buildPayload } from '../cli/commands/send';
import { main } from '../cli/main';
import { collect } from '../cli/output';
import { visible } from '../cli/terminal';
import { signedHeaders } from '../lambda/core/signature';
import { DEFAULT_CONFIG_PATH } from '../local/defaults';
import { type LocalStack, startLocalStack } from '../local/stack';
import { SECRET } from '../harness/deliveries';

/**
 * Event text is the sender's, and a terminal obeys escape sequences in it. What a person reads (CLI
 * tables, the `npm start` console) shows them; what a program reads (--json) keeps them exact.
 */
// A window title change, a screen clear, a hyperlink, a carriage return overwriting the line, C1 CSI.
const HOSTILE =
  'token \u001b]0;pwned\u0007expired \u001b[2J\u001b]8;;https://evil.example\u001b\\here\u001b]8;;\u001b\\ \rX \u009b31m';
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('visible', () => {
  it('replaces control characters and bidirectional overrides with their escapes, and nothing else', () => {
    expect(visible('a\u001b[2Jb\u0007c\nd\te\u009bf\u202eg')).toBe(
      'a\\u001b[2Jb\\u0007c\\u000ad\\u0009e\\u009bf\\u202eg',
    );
    expect(visible('café ✓ 日本 "quoted" \\path')).toBe('café ✓ 日本 "quoted" \\path');
  });
});

describe('terminal safety end to end', () => {
  let dataDir: string;
  let stack: LocalStack;
  const console: string[] = [];
  const collection = 'terminal-safety';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-terminal-'));
    stack = await startLocalStack({
      config: readConfigFile(DEFAULT_CONFIG_PATH),
      secrets: [SECRET],
      dataDir,
      port: 0,
      dynamodbPort: 0,
      print: (line) => console.push(line),
    });
    const body = JSON.stringify(
      buildPayload(
        { type: 'sync.failed', collection, sourceType: 'github', error: HOSTILE, job: 'job-1' },
        new Date(),
      ),
    );
    const headers = signedHeaders(SECRET, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body);
    const response = await fetch(`${stack.url}/webhooks/airweave`, { method: 'POST', headers, body });
    if (response.status !== 200) throw new Error(`the delivery was answered ${response.status}`);
  });
  afterAll(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const local = () => ['--local', '--endpoint', stack.dynamodbEndpoint];

  it('the npm start console never passes a control sequence to the terminal', () => {
    const alert = console.find((l) => l.startsWith('ALERT'));
    // The alert's subject is built to SNS's rules in the core (lambda/core/outbound.ts): its control
    // characters are gone before the console sees it, so the text stays and no sequence survives.
    expect(alert).toContain('0;pwned');
    expect(alert).not.toContain('\u001b');
    for (const line of console) expect(line).not.toMatch(RAW_CONTROL);
  });

  it('CLI tables show the escapes; --json keeps the exact text', async () => {
    for (const args of [
      ['freshness', '--collection', collection],
      ['audit', '--collection', collection],
      ['jobs', '--collection', collection],
      ['jobs', 'job-1'],
    ]) {
      const out = collect();
      await main([...args, ...local()], out);
      const text = out.lines.join('\n');
      expect(text).toContain('\\u001b]0;pwned');
      expect(text).not.toMatch(RAW_CONTROL);
    }
    const json = collect();
    await main(['audit', '--collection', collection, '--json', ...local()], json);
    const { events } = JSON.parse(json.lines.join('\n')) as { events: Array<{ error: string }> };
    expect(events[0]?.error).toBe(HOSTILE);
  });
});
