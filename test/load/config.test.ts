import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../harness/cli.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import { ConfigError } from '../../harness/errors.ts';
import { startScriptedServer } from '../helpers/chunked-server.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { loadConfig } from './helpers.ts';

const ws = tempWorkspace();
const cfg = (load: unknown) => loadConfig({ baselineUrl: 'http://127.0.0.1:1', candidateUrl: 'http://127.0.0.1:1', promptsFile: ws.promptsFile, load: load as never });

async function issuesOf(load: unknown) {
  const err = await resolveConfig(cfg(load), ws.configFile).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues;
}

describe('bad load configs are rejected, naming the field', () => {
  it.each([
    ['a negative rate', { model: 'constant-arrival-rate', rate: -5, duration: '5s' }, 'load.rate', /above 0/],
    ['stages summing to zero duration', { model: 'ramping-arrival-rate', stages: [{ duration: 0, target: 10 }, { duration: '0s', target: 0 }] }, 'load.stages', /zero duration/],
    ['maxInFlight < 1', { model: 'constant-arrival-rate', rate: 10, duration: '5s', maxInFlight: 0 }, 'load.maxInFlight', /at least 1/],
    ['both vus and rate', { vus: 10, rate: 5, duration: '5s' }, 'load.rate', /either "vus".*or a rate/],
    ['a rate without its model', { rate: 5, duration: '5s' }, 'load.model', /constant-arrival-rate/],
    ['an unknown model', { model: 'open', rate: 5, duration: '5s' }, 'load.model', /ramping-arrival-rate/],
    ['a warm-up as long as the load', { model: 'constant-arrival-rate', rate: 10, duration: '2s', warmup: '2s' }, 'load.warmup', /shorter/],
    // VU i starts at (i-1)/vus of the ramp-up: a ramp-up as long as the run never starts some of the VUs asked for (a lighter load than planned).
    ['a ramp-up as long as the run', { vus: 4, duration: '2s', rampUp: '2s' }, 'load.rampUp', /shorter than load\.duration/],
    // Closed stages set the VU count themselves; runClosed never read rampUp beside them (all VUs started at once).
    ['a ramp-up beside closed stages', { vus: 4, stages: [{ duration: '2s', target: 4 }], rampUp: '1s' }, 'load.rampUp', /does not apply to stages.*first stage/],
    // Every VU that runs takes at least one iteration: with fewer, some VUs never run (a lighter load than load.vus).
    ['fewer iterations than VUs', { vus: 4, iterations: 3 }, 'load.iterations', /below load\.vus.*at least 4 iterations/],
    // A schedule that never starts anything ran "complete" with nothing sent (exit 0).
    ['closed stages that never ask for a VU', { stages: [{ duration: '2s', target: 0 }] }, 'load.stages', /never ask for a VU.*send nothing/],
    ['a ramping rate of 0 throughout', { model: 'ramping-arrival-rate', stages: [{ duration: '2s', target: 0 }] }, 'load.stages', /rate is 0 throughout.*send nothing/],
    // One start at 0 (1 per minute for 30 s), inside the 10 s warm-up: nothing would be measured.
    ['a warm-up holding every scheduled start', { model: 'constant-arrival-rate', rate: 1, timeUnit: '1m', duration: '30s', warmup: '10s' }, 'load.warmup', /every scheduled start \(1\) falls in the 10,000 ms warm-up/],
    ['a ramp whose starts all fall in the warm-up', { model: 'ramping-arrival-rate', stages: [{ duration: '2s', target: 2 }, { duration: '2s', target: 0 }], timeUnit: '1m', warmup: '3s' }, 'load.warmup', /nothing would be measured/],
    // One unit per duration: "1m30s" is refused (not read as 1m), and the message says how to write it.
    ['a compound duration', { vus: 2, duration: '1m30s' }, 'load.duration', /one unit: "90s", not "1m30s"/],
    // A key of another model read as a typo ("unknown key: remove it or fix the spelling"): the message names the model it belongs to.
    ['maxInFlight in the closed model', { vus: 2, duration: '2s', maxInFlight: 5 }, 'load.maxInFlight', /does not apply to model "closed".*vus bound/],
    ['vus in a ramping arrival rate', { model: 'ramping-arrival-rate', vus: 10, stages: [{ duration: '2s', target: 10 }] }, 'load.vus', /does not apply to model "ramping-arrival-rate".*no VUs/],
    ['rampUp in a constant arrival rate', { model: 'constant-arrival-rate', rate: 10, duration: '2s', rampUp: '1s' }, 'load.rampUp', /ramping-arrival-rate/],
    ['duration in a ramping arrival rate', { model: 'ramping-arrival-rate', stages: [{ duration: '2s', target: 10 }], duration: '2s' }, 'load.duration', /sum of its stages/],
    ['stages in a constant arrival rate', { model: 'constant-arrival-rate', rate: 10, duration: '2s', stages: [{ duration: '2s', target: 10 }] }, 'load.stages', /ramping-arrival-rate/],
    ['a rate in an explicit closed model', { model: 'closed', rate: 10, duration: '2s' }, 'load.rate', /constant-arrival-rate/],
    ['closed stages with a negative target', { stages: [{ duration: '1s', target: -1 }] }, 'load.stages[0].target', /negative/],
  ])('%s', async (_name, load, path, message) => {
    const issues = await issuesOf(load);
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)!.message).toMatch(message);
  });

  it('keeps the closed model the default when `model` is omitted', async () => {
    const loaded = await resolveConfig(cfg({ vus: 2, iterations: 4 }), ws.configFile);
    expect(loaded.config.load!.model).toBe('closed');
  });

  it('stops the CLI with exit code 3 before any request', async () => {
    const server = await startScriptedServer(() => [{ write: 'event: done\ndata: {}\n\n' }]);
    try {
      const file = `${ws.dir}/bad-load.json`;
      const c = loadConfig({ baselineUrl: server.url, candidateUrl: server.url, promptsFile: ws.promptsFile, load: { model: 'constant-arrival-rate', rate: 10, duration: '1s', maxInFlight: 0 } });
      writeFileSync(file, JSON.stringify(c));
      let stderr = '';
      const code = await main(['run', file, '--quiet', '--out', ws.out], {
        stdout: { write: () => true } as unknown as NodeJS.WritableStream,
        stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
        env: process.env,
      });
      expect(code).toBe(3);
      expect(stderr).toContain('load.maxInFlight');
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(server.requests).toBe(0);
    } finally {
      await server.close();
    }
  });
});
