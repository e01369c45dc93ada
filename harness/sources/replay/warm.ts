import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TimeoutsConfig } from '../../config/schema.ts';
import { SummaryAccumulator } from '../../metrics/summary.ts';
import { TimelineAccumulator } from '../../metrics/timeline.ts';
import { EndpointSinks } from '../../run/endpoints.ts';
import { openTarget, type LiveTarget } from '../../targets/target.ts';
import type { CapturedRequest } from './capture.ts';
import type { ReplayComparer } from './compare.ts';
import { REPLAY_SCENARIO, replayPair } from './pair.ts';

/** Warm-up pairs of each kind (SSE and JSON): with 3, the first real requests still ran 10-50 ms late now and then (the path not yet optimised); with 10 they no longer stood out. About 50-100 ms before the clock starts. */
const ROUNDS = 10;

/**
 * A loopback stand-in for both targets (127.0.0.1, ephemeral port): an SSE answer to a request
 * that accepts text/event-stream, a small JSON body to anything else.
 */
async function standIn(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if ((req.headers.accept ?? '').includes('text/event-stream')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('event: token\ndata: {"text":"warm"}\n\nevent: done\ndata: {}\n\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"warm":true}');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

/**
 * Before the replay's clock starts: the whole path of a replayed pair (rewrites, both probes,
 * undici's connect and dispatch, the SSE parser, the contract comparison, the sinks) run a few times against
 * a loopback stand-in, so the first recorded requests do not carry the process's start-up (10-40 ms
 * of compiling on a fresh process, which would shift them against the rest). Nothing is sent to the
 * targets and nothing is recorded: the stand-in answers, the results are dropped.
 */
export async function warmReplayPath(p: {
  targets: readonly [LiveTarget, LiveTarget];
  timeouts: TimeoutsConfig;
  requestIdHeader: string;
  filters: Parameters<typeof replayPair>[0]['filters'];
  comparer?: ReplayComparer | undefined;
  signal: AbortSignal;
}): Promise<void> {
  const server = await standIn();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const standIns = p.targets.map((t) => openTarget({ ...t.config, baseUrl: url, headers: {}, connections: undefined }, p.timeouts)) as [LiveTarget, LiveTarget];
  const req = (accept: string): CapturedRequest => ({ t: 0, method: 'POST', path: '/warm', headers: { accept, 'content-type': 'application/json' }, body: '{"warm":true}', at: 'warm-up' });
  const sinks = new EndpointSinks({ baseline: p.targets[0].config.name, candidate: p.targets[1].config.name });
  try {
    for (let i = 0; i < ROUNDS && !p.signal.aborted; i++) {
      for (const accept of ['text/event-stream', 'application/json']) {
        const r = await replayPair({
          targets: standIns,
          runId: 'warm',
          iteration: i,
          requestIdHeader: p.requestIdHeader,
          timeouts: p.timeouts,
          filters: { dropHeaders: p.filters.dropHeaders, rewrites: [] },
          isStream: () => false,
          signal: p.signal,
          req: req(accept),
          comparer: p.comparer?.scratch(),
        });
        // The sinks each measured pair goes into (summaries, endpoints, timeline, the spool's JSON), on throwaway copies.
        if (r) {
          sinks.add(r.pair);
          sinks.toJSON();
          for (const s of [r.pair.baseline, r.pair.candidate]) {
            new SummaryAccumulator(s.target, s.role, REPLAY_SCENARIO).add(s);
            new TimelineAccumulator().add(s);
          }
          JSON.stringify(r.pair);
        }
      }
    }
  } finally {
    await Promise.all(standIns.map((t) => t.close())).catch(() => undefined);
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
