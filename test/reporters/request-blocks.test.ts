import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContractFixture, type ContractFixture } from '../../fixtures/backends/contract-backend.ts';
import { main } from '../../harness/cli.ts';
import { renderHtml } from '../../harness/reporters/html.ts';
import { renderMarkdown } from '../../harness/reporters/markdown.ts';
import { renderSummary } from '../../harness/reporters/terminal.ts';
import { RunResult } from '../../harness/run/result.ts';
import { captureIO } from '../helpers/cli.ts';

/**
 * One real run mixing a stream, a request and a flow scenario (the candidate's create route
 * answers 503 to 10% of requests), rendered in Markdown, HTML and on the terminal: each
 * scenario's block speaks of what it measured. A request has no first event, first content,
 * interruption, gap, chars/s or citation; a stream has no time to headers/whole response block.
 */
const STREAM_ONLY = /first event|first content|interrupt|chars\/s|gap between|gaps between|citation|\bstreams?\b/i;
const REQUEST_ONLY = /time to headers|whole response|whole-response|status classes|assertion_failed|capture_failed|requests \(all steps\)/i;

describe('report blocks per scenario kind (stream, request, flow in one run)', () => {
  let b: ContractFixture;
  let c: ContractFixture;
  let dir: string;
  let stdout: string;
  let run: RunResult;
  let md: string;
  let html: string;
  beforeAll(async () => {
    b = await startContractFixture();
    c = await startContractFixture({ routes: { 'POST /api/lots': { errorRate: 0.1 } } });
    dir = mkdtempSync(path.join(tmpdir(), 'parity-kinds-'));
    writeFileSync(path.join(dir, 'prompts.jsonl'), '{"text":"hello there"}\n');
    const t = (name: string, role: string, url: string) => ({ name, role, baseUrl: url, routes: { ask: 'POST /api/chat/ask' }, stream: 'openai' });
    const cfg = {
      name: 'mixed kinds',
      targets: [t('express', 'baseline', b.url), t('fastapi', 'candidate', c.url)],
      scenarios: [
        { name: 'chat', route: 'ask', prompts: 'prompts.jsonl', body: { question: '{{prompt}}', session_id: '{{session_id}}' }, weight: 2 },
        { type: 'request', name: 'health', route: 'GET /api/health', weight: 1 },
        {
          type: 'flow',
          name: 'lots',
          weight: 2,
          vars: { code: 'LOT-{{unique}}' },
          steps: [
            { name: 'login', route: 'POST /api/login', body: { email: 'qa@x.test' }, capture: { token: '$.token' } },
            { name: 'create_lot', route: 'POST /api/lots', headers: { authorization: 'Bearer {{token}}' }, body: { lot_code: '{{code}}', lot_type: 'RAW' }, expect: { status: 201 } },
          ],
        },
      ],
      load: { vus: 4, iterations: 100 },
      preflight: { retries: 0, interval: 10 },
    };
    writeFileSync(path.join(dir, 'parity.config.json'), JSON.stringify(cfg));
    const cap = captureIO();
    await main(['run', path.join(dir, 'parity.config.json'), '--out', path.join(dir, 'reports'), '--run-id', 'r1', '--quiet'], cap.io);
    stdout = cap.out;
    run = RunResult.parse(JSON.parse(readFileSync(path.join(dir, 'reports/r1/run.json'), 'utf8')));
    md = readFileSync(path.join(dir, 'reports/r1/summary.md'), 'utf8');
    html = readFileSync(path.join(dir, 'reports/r1/report.html'), 'utf8');
  }, 120_000);
  afterAll(async () => {
    await Promise.all([b?.close(), c?.close()]);
  });

  /** From a scenario's heading to the next `## ` heading. */
  const mdBlock = (name: string) => {
    const at = md.indexOf(`## Scenario \`${name}\``);
    expect(at).toBeGreaterThanOrEqual(0);
    const end = md.indexOf('\n## ', at + 3);
    return md.slice(at, end < 0 ? undefined : end);
  };
  const htmlBlock = (name: string) => {
    const m = html.match(new RegExp(`<section class="scenario[^"]*" data-scenario="${name}"[\\s\\S]*?</section>`));
    expect(m).not.toBeNull();
    return m![0];
  };
  /** The terminal's block: the `scenario X` line and its indented rows. */
  const termBlock = (name: string) => {
    const lines = stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith(`scenario ${name}`));
    expect(at).toBeGreaterThanOrEqual(0);
    const rest = lines.slice(at + 1);
    const end = rest.findIndex((l) => !l.startsWith('  '));
    return [lines[at], ...rest.slice(0, end < 0 ? undefined : end)].join('\n');
  };

  it('run.json says what each scenario is', () => {
    expect(run.summaries.map((s) => [s.scenario, s.kind])).toEqual([
      ['chat', 'stream'],
      ['health', 'request'],
      ['lots', 'flow'],
    ]);
  });

  it('Markdown: request and flow blocks carry request labels and no stream-only label; the stream block the reverse', () => {
    for (const name of ['health', 'lots']) {
      const block = mdBlock(name);
      expect(block).not.toMatch(STREAM_ONLY);
      for (const label of ['time to headers p50', 'time to headers p99', 'whole response p50', 'whole response p95', 'whole response p99', 'error rate', '5xx rate', '### Status classes', '### Outcomes']) expect(block).toContain(label);
      for (const o of ['ok', 'http_error', 'connect_error', 'reset', 'timeout', 'assertion_failed', 'capture_failed']) expect(block).toMatch(new RegExp(`\\| ${o} \\| \\d+ \\| \\d+ \\|`));
    }
    expect(mdBlock('health')).toMatch(/^## Scenario `health` \(request\)/);
    expect(mdBlock('health')).toContain('### By route');
    const lots = mdBlock('lots');
    expect(lots).toMatch(/^## Scenario `lots` \(flow\)/);
    expect(lots).toContain('### By step and route');
    // The candidate's create step: 5xx counted as status class, outcome and per step, with deltas.
    const created = run.endpoints!.find((e) => e.step === 'create_lot')!.candidate;
    expect(created.outcomes.http_error).toBe(Math.floor(created.count * 0.1));
    expect(lots).toMatch(new RegExp(`\\| \`create_lot\` \\| \`POST /api/lots\` \\| \\d+ / \\d+ \\| [\\d.]+ ms → [\\d.]+ ms \\([+-]?[\\d.]+%\\) \\|.*\\| ok \\d+ · http_error ${created.outcomes.http_error} \\|$`, 'm'));
    expect(lots).toMatch(new RegExp(`\\| http_error \\| 0 \\| ${created.outcomes.http_error} \\|`));
    expect(lots).toMatch(/\| fastapi \(candidate\) \| \d+ \| 0 \| 0 \| [1-9]\d* \| 0 \|/);
    expect(lots).toMatch(/\| whole response p95 \| [\d.]+ ms \| [\d.]+ ms \| [+-]?[\d.]+% \|/);
    const chat = mdBlock('chat');
    expect(chat).toMatch(/^## Scenario `chat`\n/);
    expect(chat).not.toMatch(REQUEST_ONLY);
    for (const label of ['first content p50', 'completion p99', 'interruption rate', 'Citation presence', '| streams |']) expect(chat).toContain(label);
  });

  it('HTML: request and flow sections carry request labels and no stream-only label; the stream section the reverse', () => {
    for (const name of ['health', 'lots']) {
      const block = htmlBlock(name);
      expect(block).toContain(`data-kind="${name === 'lots' ? 'flow' : 'request'}"`);
      expect(block).not.toMatch(STREAM_ONLY);
      for (const label of ['time to headers p95', 'whole response p99', '5xx rate', 'Status classes', 'Outcomes', 'capture_failed', 'Whole-response time (CDF)']) expect(block).toContain(label);
    }
    expect(htmlBlock('lots')).toContain('By step and route');
    expect(htmlBlock('lots')).toContain('<code>create_lot</code>');
    expect(htmlBlock('lots')).toContain('data-chart="outcomes-lots"');
    const chat = htmlBlock('chat');
    expect(chat).not.toMatch(REQUEST_ONLY);
    for (const label of ['first content p95', 'Time to first content (CDF)', 'Gaps between events', 'Citation presence']) expect(chat).toContain(label);
    // The run's timeline counts both kinds, and says so.
    expect(html).toContain('Completed streams and requests per second');
  });

  it('terminal: request and flow blocks carry request labels and no stream-only label; the stream block the reverse', () => {
    for (const name of ['health', 'lots']) {
      const block = termBlock(name);
      expect(block).not.toMatch(STREAM_ONLY);
      for (const label of ['time to headers p50/p95/p99 ms', 'whole response p50/p95/p99 ms', 'error rate', '5xx rate', 'status classes', 'outcomes']) expect(block).toContain(label);
    }
    expect(termBlock('lots')).toMatch(/^scenario lots \(flow\)/);
    expect(termBlock('lots')).toMatch(/outcomes +ok \d+ +ok \d+, http_error \d+/);
    expect(termBlock('lots')).toMatch(/status classes +2xx \d+ +2xx \d+, 5xx \d+/);
    const chat = termBlock('chat');
    expect(chat).toMatch(/^scenario chat$/m);
    expect(chat).not.toMatch(REQUEST_ONLY);
    for (const label of ['streams', 'first content p50/p95/p99 ms', 'interruption rate', 'citation presence', 'content chars/s']) expect(chat).toContain(label);
  });

  it('a run.json written before scenario kinds renders the same blocks (kinds inferred from its endpoints and outcomes)', () => {
    const old = structuredClone(run);
    for (const s of old.summaries) delete s.kind;
    expect(renderMarkdown(old)).toBe(renderMarkdown(run));
    expect(renderHtml(old)).toBe(renderHtml(run));
    expect(renderSummary(old, { color: false })).toBe(renderSummary(run, { color: false }));
    // Without endpoints either (a shadow window): answers read whole are still a request's.
    const bare = structuredClone(old);
    delete bare.endpoints;
    expect(renderMarkdown(bare)).toMatch(/## Scenario `health` \(request\)/);
    expect(renderMarkdown(bare)).toMatch(/## Scenario `chat`\n/);
  });
});
