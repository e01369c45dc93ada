import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * A JSON config saved with a byte order mark (Windows PowerShell's Out-File, Notepad "UTF-8 with
 * BOM") was refused as "Unexpected token" followed by an invisible character, while the same YAML with a
 * BOM was read: JSON is read as YAML is, the mark ignored.
 */
describe('a JSON config starting with a UTF-8 byte order mark', () => {
  it('validates like the same file without it', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    writeFileSync(ws.configFile, '\uFEFF' + JSON.stringify(streamConfig({ baselineUrl: 'http://127.0.0.1:8000', candidateUrl: 'http://127.0.0.1:8001', promptsFile: ws.promptsFile })));
    const r = await runCli(['validate', ws.configFile]);
    expect(r.code, r.stderr).toBe(0);
  });
});
