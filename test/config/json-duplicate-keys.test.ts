import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * A key written twice in one JSON object: JSON.parse keeps the last silently, so a second `load`
 * block pasted below the first replaced it (here: 2 iterations instead of 500) and the run went
 * out as nobody wrote it. A YAML config with the same mistake was already refused.
 */
describe('a JSON config with a key written twice', () => {
  it('is a config error naming the line (exit 3), before any traffic; the same file without the duplicate validates', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const cfg = streamConfig({ baselineUrl: 'http://127.0.0.1:8000', candidateUrl: 'http://127.0.0.1:8001', promptsFile: ws.promptsFile, load: { vus: 5, iterations: 500 } });
    const text = JSON.stringify(cfg, null, 2);
    writeFileSync(ws.configFile, text);
    expect((await runCli(['validate', ws.configFile])).code).toBe(0);
    const twice = text.replace(/\n}$/, ',\n  "load": { "vus": 1, "iterations": 2 }\n}');
    expect(JSON.parse(twice).load.iterations).toBe(2);
    writeFileSync(ws.configFile, twice);
    const r = await runCli(['validate', ws.configFile]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
    expect(r.stderr).toMatch(new RegExp(`${ws.configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: ".*load.*": a key appears twice in one object`));
    expect(r.stderr).not.toMatch(/PARITY_HARNESS_ERROR/);
  });
});
