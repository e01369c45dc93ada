import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, streamScenarios } from '../../harness/config/load.ts';
import { compileJsonPath, parseJsonPath } from '../../harness/json/path.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('loading configs', () => {
  it('loads the TypeScript demo config with env substitution', async () => {
    const c = await loadConfig(path.join(ROOT, 'scenarios/demo.config.ts'), { BASELINE_URL: 'http://127.0.0.1:1111/', CANDIDATE_URL: 'http://127.0.0.1:2222' });
    expect(c.baseline.baseUrl).toBe('http://127.0.0.1:1111');
    expect(c.candidate.baseUrl).toBe('http://127.0.0.1:2222');
    expect(c.baseline.routes['chat.stream']).toEqual({ method: 'POST', path: '/chat-stream' });
    expect(c.candidate.routes['chat.stream']).toEqual({ method: 'POST', path: '/chat/stream' });
    expect(streamScenarios(c)[0]!.prompts.length).toBeGreaterThan(3);
    expect(c.config.load!.timeouts.idle).toBe(500);
  });

  it('loads the YAML example with defaults from ${VAR:-default} and a preset override', async () => {
    const c = await loadConfig(path.join(ROOT, 'scenarios/python-to-node.config.yaml'), { NODE_API_TOKEN: 'tok-123456' });
    expect(c.baseline.baseUrl).toBe('http://127.0.0.1:8000');
    expect(c.candidate.headers.authorization).toBe('Bearer tok-123456');
    expect(c.secrets).toContain('Bearer tok-123456');
    expect(c.candidate.stream.content.path).toBe('choices[0].delta.content');
    expect(c.candidate.stream.terminal).toEqual({ data: '[DONE]' });
    expect(c.candidate.health.map((h) => h.path)).toEqual(['/health', '/infra/health']);
    const load = c.config.load!;
    expect(load.model === 'closed' && load.duration).toBe(120_000);
    expect(load.model === 'closed' && load.rampUp).toBe(10_000);
  });
});

describe('JSON paths', () => {
  it('parses member, index and quoted steps', () => {
    expect(parseJsonPath('choices[0].delta.content')).toEqual(['choices', 0, 'delta', 'content']);
    expect(parseJsonPath('$.a["odd key"][2]')).toEqual(['a', 'odd key', 2]);
    expect(compileJsonPath('a.b[1]').get({ a: { b: [0, 'x'] } })).toBe('x');
    expect(compileJsonPath('a.b').get({ a: 'str' })).toBeUndefined();
  });
  it.each(['a..b', 'a[x]', 'a.', '[0', 'a b'])('rejects %s with the position', (p) => {
    expect(() => parseJsonPath(p)).toThrow(/does not parse at character \d+/);
  });
});
