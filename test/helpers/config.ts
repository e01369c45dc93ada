import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfigInput } from '../../harness/config/schema.ts';

/** A temp folder with a prompt set; returns paths the test configs use. */
export function tempWorkspace(prompts: { text: string; expectsCitations?: boolean }[] = [{ text: 'hello', expectsCitations: true }]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-test-'));
  const promptsFile = path.join(dir, 'prompts.jsonl');
  writeFileSync(promptsFile, prompts.map((p) => JSON.stringify(p)).join('\n') + '\n');
  return { dir, promptsFile, out: path.join(dir, 'reports'), configFile: path.join(dir, 'parity.config.json') };
}

/** A minimal valid two-target stream config, with overrides. */
export function streamConfig(p: {
  baselineUrl: string;
  candidateUrl: string;
  promptsFile: string;
  baselineStream?: ConfigInput['targets'][number]['stream'];
  candidateStream?: ConfigInput['targets'][number]['stream'];
  load?: Partial<Extract<ConfigInput['load'], { model?: 'closed' }>>;
  baselinePath?: string;
  candidatePath?: string;
}): ConfigInput {
  return {
    name: 'test',
    targets: [
      { name: 'base', role: 'baseline', baseUrl: p.baselineUrl, routes: { chat: `POST ${p.baselinePath ?? '/chat-stream'}` }, stream: p.baselineStream ?? 'named-events' },
      { name: 'cand', role: 'candidate', baseUrl: p.candidateUrl, routes: { chat: `POST ${p.candidatePath ?? '/chat-stream'}` }, stream: p.candidateStream ?? 'named-events' },
    ],
    scenarios: [{ name: 's', route: 'chat', prompts: p.promptsFile }],
    load: { vus: 10, iterations: 20, ...p.load, timeouts: { firstEvent: '2s', idle: '300ms', total: '10s', ...p.load?.timeouts } },
    preflight: { retries: 0, interval: 10 },
  };
}
