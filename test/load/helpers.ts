import type { ConfigInput } from '../../harness/config/schema.ts';

/** A two-target config for load-model tests: both targets on fixture URLs, any `load`. */
export function loadConfig(p: { baselineUrl: string; candidateUrl: string; promptsFile: string; load: ConfigInput['load']; connections?: number }): ConfigInput {
  const target = (name: string, role: 'baseline' | 'candidate', baseUrl: string) => ({
    name,
    role,
    baseUrl,
    routes: { chat: 'POST /chat-stream' },
    stream: 'named-events' as const,
    ...(p.connections ? { connections: p.connections } : {}),
  });
  return {
    name: 'load test',
    targets: [target('base', 'baseline', p.baselineUrl), target('cand', 'candidate', p.candidateUrl)],
    scenarios: [{ name: 's', route: 'chat', prompts: p.promptsFile }],
    load: p.load,
    preflight: { retries: 0, interval: 10 },
  };
}
