import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { ConfigError } from '../../harness/errors.ts';
import { harnessHealth, healthLimits } from '../../harness/load/health.ts';
import { Histogram } from '../../harness/metrics/histogram.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { loadConfig } from './helpers.ts';

const ws = tempWorkspace();
const cfg = (load: unknown) => loadConfig({ baselineUrl: 'http://127.0.0.1:1', candidateUrl: 'http://127.0.0.1:1', promptsFile: ws.promptsFile, load: load as never });

/** A thread whose event loop ran `p99` ms late at p99, and whose scheduler started arrival-rate iterations `lag` ms late. */
function thread(p99: number, lag = 0) {
  const h = new Histogram();
  for (let i = 0; i < 100; i++) h.record(i < 98 ? 0 : lag);
  return { schedulerLag: h.toJSON(), eventLoopDelayMs: { p50: 0.1, p99, max: p99 * 2 } };
}

describe('load.health: the precision the harness is held to', () => {
  it('by default an event loop 3 ms late is healthy; held to 1 ms, the run carries a warning naming the limit', () => {
    expect(harnessHealth([thread(3)]).warnings).toEqual([]);
    expect(harnessHealth([thread(3)], healthLimits({ eventLoopDelayP99: 1 })).warnings).toEqual([
      expect.stringMatching(/^harness event-loop delay p99 3 ms \(limit 1 ms\): the harness was too busy/),
    ]);
    // At the limit is still healthy; an unset limit keeps its default.
    expect(harnessHealth([thread(1)], healthLimits({ eventLoopDelayP99: 1 })).warnings).toEqual([]);
    expect(harnessHealth([thread(60)], healthLimits({ dispatchLagP99: 5 })).warnings).toEqual([expect.stringContaining('(limit 50 ms)')]);
    expect(harnessHealth([thread(0, 8)], healthLimits({ dispatchLagP99: 5 })).warnings).toEqual([expect.stringMatching(/^harness dispatch lag p99 8(\.\d+)? ms \(limit 5 ms\)/)]);
  });

  it('is a duration under load, for every model; anything else there is a config error naming the field', async () => {
    const loaded = await resolveConfig(cfg({ vus: 1, iterations: 4, health: { eventLoopDelayP99: '1ms', dispatchLagP99: 5 } }), ws.configFile);
    expect(loaded.config.load!.health).toEqual({ eventLoopDelayP99: 1, dispatchLagP99: 5 });
    const rate = await resolveConfig(cfg({ model: 'constant-arrival-rate', rate: 5, duration: '2s', health: { dispatchLagP99: '10ms' } }), ws.configFile);
    expect(rate.config.load!.health).toEqual({ dispatchLagP99: 10 });
    for (const [health, path] of [
      [{ eventLoopDelay: '1ms' }, 'load.health'],
      [{ eventLoopDelayP99: 'soon' }, 'load.health.eventLoopDelayP99'],
      // Looser than the defaults: an overloaded harness would then judge a pass.
      [{ eventLoopDelayP99: '10s' }, 'load.health.eventLoopDelayP99'],
      [{ dispatchLagP99: '21ms' }, 'load.health.dispatchLagP99'],
    ] as const) {
      const err = await resolveConfig(cfg({ vus: 1, iterations: 4, health }), ws.configFile).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.path)).toContain(path);
    }
  });
});
