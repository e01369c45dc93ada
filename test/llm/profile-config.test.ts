import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { ConfigError } from '../../harness/errors.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

describe('stream profile tokens and finishReason in the config', () => {
  const ws = tempWorkspace();
  const cfg = (candidateStream: unknown) =>
    streamConfig({ baselineUrl: 'http://127.0.0.1:1', candidateUrl: 'http://127.0.0.1:1', promptsFile: ws.promptsFile, candidateStream: candidateStream as 'openai' });

  it('presets set them, and an override replaces them', async () => {
    const loaded = await resolveConfig(cfg({ preset: 'openai', finishReason: { path: 'choices[0].finish_reason', normal: ['stop'] } }), ws.configFile);
    expect(loaded.candidate.stream.finishReason).toEqual({ path: 'choices[0].finish_reason', normal: ['stop'] });
    expect(loaded.candidate.stream.tokens).toEqual({ path: 'usage.completion_tokens', sum: false });
    expect(loaded.baseline.stream.tokens?.path).toBe('tokens');
    expect(loaded.baseline.stream.finishReason?.normal).toEqual(['stop']);
  });

  it('rejects a finishReason without normal values, and a path that does not parse, naming the field', async () => {
    const err = await resolveConfig(cfg({ preset: 'openai', finishReason: { path: 'choices[0].finish_reason', normal: [] }, tokens: { path: 'usage[' } }), ws.configFile).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as Error).message;
    expect(text).toMatch(/targets\[1\]\.stream\.finishReason\.normal/);
    expect(text).toMatch(/normal finish reason/);
    expect(text).toMatch(/targets\[1\]\.stream\.tokens\.path/);
  });
});
