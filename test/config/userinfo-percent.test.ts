import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/** A password with a literal `%` (common in generated secrets) in a base URL's userinfo. */
describe('base URL userinfo that is not valid percent-encoding', () => {
  const ws = tempWorkspace([{ text: 'q' }]);

  const validate = (baselineUrl: string, env: NodeJS.ProcessEnv) => {
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl, candidateUrl: 'http://127.0.0.1:9', promptsFile: ws.promptsFile })));
    return runCli(['validate', ws.configFile], env);
  };

  it('a stray % from ${ENV} is a config error naming the field and the fix, not a URIError stack; the password is not echoed', async () => {
    const r = await validate('http://svc:${PASS}@127.0.0.1:8000', { PASS: 'hunter2%secret100%' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
    expect(r.stderr).not.toMatch(/PARITY_HARNESS_ERROR|URIError/);
    expect(r.stderr).toMatch(/targets\[0\]\.baseUrl/);
    expect(r.stderr).toMatch(/%25/);
    expect(r.stderr + r.stdout).not.toContain('hunter2');
  });

  it('a literal malformed %-sequence in the user name is the same config error', async () => {
    const r = await validate('http://us%zzer:password@127.0.0.1:8000', {});
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
    expect(r.stderr).toMatch(/targets\[0\]\.baseUrl/);
  });

  it('a correctly encoded password (%25) still validates', async () => {
    const r = await validate('http://svc:${PASS}@127.0.0.1:8000', { PASS: 'hunter2%25secret' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('hunter2');
  });
});
