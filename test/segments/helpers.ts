import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigInput } from '../../harness/config/schema.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Three prompts and two scenarios, so iteration i's scenario and prompt rotate as the plan says. */
export const PROMPTS = [{ text: 'alpha', expectsCitations: true }, { text: 'beta' }, { text: 'gamma', expectsCitations: true }];

export function segmentConfig(p: { baselineUrl: string; candidateUrl: string; promptsFile: string; load: ConfigInput['load'] }): ConfigInput {
  const target = (name: string, role: 'baseline' | 'candidate', baseUrl: string) => ({ name, role, baseUrl, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' as const });
  return {
    name: 'segments',
    targets: [target('base', 'baseline', p.baselineUrl), target('cand', 'candidate', p.candidateUrl)],
    scenarios: [
      { name: 'a', route: 'chat', prompts: p.promptsFile },
      { name: 'b', route: 'chat', prompts: p.promptsFile, sessionId: 'b-{{iteration}}' },
    ],
    load: p.load,
    preflight: { retries: 0, interval: 10 },
  };
}

export function writeConfig(file: string, cfg: ConfigInput): string {
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs segments 1..n of a config as n processes with one `--start-at`, picked `leadMs` after every
 * process has loaded the harness (on a busy 2-core machine starting four Node processes takes
 * seconds); resolves when all have exited. `kill` SIGKILLs one segment that long after the start.
 */
export async function runSegments(config: string, out: string, n: number, opts: { leadMs?: number; extra?: string[]; kill?: { segment: number; afterMs: number } } = {}) {
  const children = Array.from({ length: n }, () =>
    fork(path.join(ROOT, 'test/segments/segment-process.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
  );
  const outputs = children.map((c) => {
    const o = { stdout: '', stderr: '' };
    c.stdout!.on('data', (d: Buffer) => (o.stdout += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (o.stderr += d.toString()));
    return o;
  });
  const exits = children.map(
    (c, i) => new Promise<ProcessResult>((resolve) => c.once('exit', (code, signal) => resolve({ code, signal, ...outputs[i]! }))),
  );
  await Promise.all(children.map((c) => new Promise<void>((resolve, reject) => (c.once('message', () => resolve()), c.once('exit', () => reject(new Error('segment process died before it was ready')))))));
  const startAtMs = Date.now() + (opts.leadMs ?? 1500);
  const startAt = new Date(startAtMs).toISOString();
  children.forEach((c, i) => {
    c.send({ args: ['run', config, '--segment', `${i + 1}/${n}`, '--start-at', startAt, '--out', out, '--quiet', ...(opts.extra ?? [])] });
    if (opts.kill?.segment === i + 1) setTimeout(() => c.kill('SIGKILL'), startAtMs - Date.now() + opts.kill.afterMs);
  });
  return { startAtMs, startAt, results: await Promise.all(exits) };
}
