import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

const TOKEN = '7301:AAH-bot-token-Zx9';

/**
 * `${ENV}` in a base URL's path (`https://api.telegram.org/bot${TOKEN}/`, tenant keys in gateways):
 * the same value in a route path or the query string was already a secret; in the base URL's path
 * it reached run.json, the reports and the terminal as written.
 */
describe('an environment value in a base URL path', () => {
  it('is a secret (scrubbed from outputs), as in a route path; a fallback written in the config is not', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const raw = streamConfig({ baselineUrl: 'http://127.0.0.1:8000/bot${BOT_TOKEN}', candidateUrl: 'http://127.0.0.1:8001${PREFIX:-/api}', promptsFile: ws.promptsFile });
    const loaded = await resolveConfig(raw, 'parity.config.json', { BOT_TOKEN: TOKEN });
    expect(loaded.baseline.baseUrl).toBe(`http://127.0.0.1:8000/bot${TOKEN}`);
    expect(loaded.secrets).toContain(TOKEN);
    expect(loaded.secrets).not.toContain('/api');

    writeFileSync(ws.configFile, JSON.stringify(raw));
    const r = await runCli(['validate', ws.configFile], { BOT_TOKEN: TOKEN });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });
});
