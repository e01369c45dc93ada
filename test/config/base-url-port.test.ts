import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/** Port 0 is no destination: nothing can connect to it, so a run only found out after the traffic started (a target at 100% connect errors). */
describe('a base URL on port 0', () => {
  const ws = tempWorkspace([{ text: 'q' }]);

  it('is refused before any traffic: exit 3, PARITY_CONFIG_INVALID at targets[i].baseUrl', async () => {
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: 'http://127.0.0.1:8000', candidateUrl: 'http://127.0.0.1:0', promptsFile: ws.promptsFile })));
    const r = await runCli(['validate', ws.configFile], {});
    expect(r.code, r.stdout).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
    expect(r.stderr).toMatch(/port 0/);
    expect(r.stderr).toMatch(/targets\[1\]\.baseUrl/);
  });
});
