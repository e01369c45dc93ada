import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli.ts';
import { ExitCode } from '../../harness/errors.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { captureIO } from '../helpers/cli.ts';
import { startCountingServer } from '../helpers/counting-server.ts';

type Mutable = Record<string, unknown> & { targets: Record<string, unknown>[]; scenarios: Record<string, unknown>[]; load: Record<string, unknown> };

describe('a bad config stops before any request, naming file, field and fix (exit 3)', () => {
  let server: Awaited<ReturnType<typeof startCountingServer>>;
  beforeAll(async () => {
    server = await startCountingServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function runWith(mutate: (c: Mutable) => void) {
    const ws = tempWorkspace();
    const cfg = streamConfig({ baselineUrl: server.url, candidateUrl: server.url, promptsFile: 'prompts.jsonl' }) as unknown as Mutable;
    mutate(cfg);
    writeFileSync(ws.configFile, JSON.stringify(cfg, null, 2));
    const cap = captureIO();
    const code = await main(['run', ws.configFile, '--out', ws.out, '--quiet'], cap.io);
    return { code, stderr: cap.err, file: ws.configFile };
  }

  const cases: [string, (c: Mutable) => void, RegExp[]][] = [
    ['unknown key', (c) => (c.load.vsu = 3), [/load/, /unknown key "vsu"/, /remove it or fix the spelling/]],
    ['wrong type', (c) => (c.load.vus = 'ten'), [/→ at load\.vus/, /expected number, got string "ten"/]],
    ['missing candidate', (c) => c.targets.pop(), [/→ at targets/, /needs two targets|exactly one target with role "candidate"/]],
    ['two baselines', (c) => (c.targets[1]!.role = 'baseline'), [/exactly one target with role "candidate", found 0/]],
    ['route missing from a route map', (c) => (c.targets[1]!.routes = { other: 'POST /x' }), [/→ at scenarios\[0\]\.route/, /route "chat" is not in the route map of target "cand"/, /add it to targets\[1\]\.routes/]],
    ['unreadable prompt file', (c) => (c.scenarios[0]!.prompts = 'nope.jsonl'), [/→ at scenarios\[0\]\.prompts/, /cannot read prompt file .*nope\.jsonl \(ENOENT\)/]],
    ['bad route syntax', (c) => (c.targets[0]!.routes = { chat: 'POST chat' }), [/→ at targets\[0\]\.routes\.chat/, /expected "METHOD \/path"/]],
    ['bad duration', (c) => ((c.load.timeouts as Record<string, unknown>).idle = '3 secs'), [/→ at load\.timeouts\.idle/, /duration like/]],
    ['unknown stream preset', (c) => (c.targets[0]!.stream = 'openia'), [/→ at targets\[0\]\.stream/, /"openai"/]],
    // A bare number counts milliseconds: below a second, a schedule's time is refused with both readings (`duration: 60` ran for 60 ms).
    ['bare-number run length', (c) => ((c.load.duration = 60), delete c.load.iterations), [/→ at load\.duration/, /a bare number counts milliseconds: 60 is 60 ms; write "60s" for seconds, or "60ms" if that is meant/]],
    ['bare-number warm-up', (c) => (c.load.warmup = 30), [/→ at load\.warmup/, /30 is 30 ms; write "30s"/]],
    ['bare-number time unit', (c) => (c.load = { model: 'constant-arrival-rate', rate: 10, timeUnit: 1, duration: '5s' }), [/→ at load\.timeUnit/, /1 is 1 ms; write "1s"/]],
    // A request's time limit too: `total: 120` meant two minutes and timed every stream out at 120 ms.
    ['bare-number stream time limit', (c) => ((c.load.timeouts as Record<string, unknown>).total = 120), [/→ at load\.timeouts\.total/, /120 is 120 ms; write "120s"/]],
    ['bare-number preflight timeout', (c) => (c.preflight = { retries: 0, timeout: 5 }), [/→ at preflight\.timeout/, /5 is 5 ms; write "5s"/]],
    ['missing env var', (c) => (c.targets[0]!.baseUrl = '${PARITY_TEST_UNSET_URL}'), [/→ at targets\[0\]\.baseUrl/, /environment variable PARITY_TEST_UNSET_URL is not set/]],
  ];

  it.each(cases)('%s', async (_name, mutate, patterns) => {
    const before = server.count();
    const { code, stderr, file } = await runWith(mutate);
    expect(code).toBe(ExitCode.error);
    expect(stderr).toContain(file);
    expect(stderr).toContain('PARITY_CONFIG_INVALID');
    for (const p of patterns) expect(stderr).toMatch(p);
    expect(stderr).not.toMatch(/\n\s+at .*\.ts:\d+/); // no stack trace
    expect(server.count()).toBe(before);
  });

  it('reports every problem at once', async () => {
    const { stderr } = await runWith((c) => {
      c.load.vus = 0;
      c.requestIdHeader = 5;
      c.extra = true;
    });
    expect(stderr).toMatch(/3 problems/);
    expect(stderr).toMatch(/load\.vus/);
    expect(stderr).toMatch(/unknown key "extra"/);
    expect(stderr).toMatch(/requestIdHeader/);
  });

  it('a prompt file with a bad line names the line', async () => {
    const ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'prompts.jsonl'), '{"text":"ok"}\n{"txt":"typo"}\nnot json\n');
    const cfg = streamConfig({ baselineUrl: server.url, candidateUrl: server.url, promptsFile: 'prompts.jsonl' });
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    const cap = captureIO();
    expect(await main(['run', ws.configFile, '--out', ws.out], cap.io)).toBe(ExitCode.error);
    expect(cap.err).toMatch(/prompts\.jsonl line 2: .*text/);
    expect(cap.err).toMatch(/prompts\.jsonl line 3 is not JSON/);
  });

  it('a missing config file and an unknown format are clear errors', async () => {
    let cap = captureIO();
    expect(await main(['run', '/nonexistent/parity.json'], cap.io)).toBe(ExitCode.error);
    expect(cap.err).toMatch(/\/nonexistent\/parity\.json: cannot read config file \(ENOENT\)/);
    cap = captureIO();
    expect(await main(['run', 'parity.toml'], cap.io)).toBe(ExitCode.error);
    expect(cap.err).toMatch(/unknown config format "\.toml"/);
  });

  it('YAML with a syntax error names the file', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws.dir, 'parity.yaml');
    writeFileSync(file, 'targets: [\n  - name: x\n');
    const cap = captureIO();
    expect(await main(['run', file], cap.io)).toBe(ExitCode.error);
    expect(cap.err).toContain(file);
    expect(cap.err).toMatch(/not valid YAML/);
  });
});
