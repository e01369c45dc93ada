/**
 * One clock-truth measurement in a process of its own:
 *   tsx test/bench/clock-client.ts <parity|reference|referencePaired|undiciPaired> <concurrentStreams> <warmupSeconds> <seconds> <url> <outDir>
 * Keeps `concurrentStreams` streams open at once against the stamping server
 * (test/bench/stamp-server.ts) for `warmupSeconds` unmeasured (connections opened, code compiled:
 * both clients measured in their steady state, not their start-up) and then `seconds` measured, and
 * prints one JSON line: per stream, the client's first-content and completion times minus the
 * server's own (first write − request arrival, terminal write − request arrival); p50 is the
 * latency the client adds, p99 its timing error.
 *
 * The reference client is the minimum that measures the same thing: node:http with a keep-alive
 * agent, its clock started on the request's 'socket' event (the request is flushed to the socket
 * right after), and a plain split on blank lines of the body text.
 *
 * `referencePaired` is the same client sending the traffic parity sends: conc/2 loops, each
 * sending one request to /pa and /pb at once (a pair), so conc streams are open at once.
 * `undiciPaired` (not in the bench; for taking a difference apart by hand): the same split and
 * clock on undici's dispatch API (the clock started in onConnect, as parity's probe), sending pairs.
 *
 * Each client asks the server for its own paths' stamps only, so two clients can measure at the
 * same time against one server; the JSON line carries every stream's errors (the bench pools them).
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { quantile } from 'simple-statistics';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { readPairsSync } from '../../harness/run/pairs.ts';
import { tempWorkspace } from '../helpers/config.ts';

const [mode, conc, warmupS, seconds, url, outDir] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]), process.argv[6]!, process.argv[7]!];
type Measured = { key: string; first: number; done: number };
const measured: Measured[] = [];

/**
 * The references' SSE reading, one per stream: a plain split of the body text on blank lines,
 * first content (the first `data:` event, JSON-parsed) and completion (`[DONE]`) timed on the
 * client's clock from `start()` (the moment the request is handed to its socket).
 */
function plainSplit(key: string, measure: boolean) {
  let t0 = 0;
  let first = -1;
  let buf = '';
  return {
    start: (): void => void (t0 = performance.now()),
    feed: (text: string): void => {
      const now = performance.now();
      buf += text;
      let k: number;
      while ((k = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, k);
        buf = buf.slice(k + 2);
        if (ev === 'data: [DONE]') {
          if (measure) measured.push({ key, first: first - t0, done: now - t0 });
        } else if (first < 0 && ev.startsWith('data: ')) {
          JSON.parse(ev.slice(6));
          first = now;
        }
      }
    },
  };
}

if (mode === 'parity') {
  const ws = tempWorkspace();
  const loaded = await resolveConfig(
    {
      targets: [
        { name: 'a', role: 'baseline', baseUrl: url, routes: { chat: 'POST /a' }, stream: 'openai' },
        { name: 'b', role: 'candidate', baseUrl: url, routes: { chat: 'POST /b' }, stream: 'openai' },
      ],
      scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
      // Paired: conc/2 VUs keep conc streams open at once; the warm-up's pairs go to warmup.ndjson, not out.pairs.
      load: { vus: conc / 2, duration: `${warmupS + seconds}s`, warmup: `${warmupS}s`, timeouts: { firstEvent: '30s', idle: '30s', total: '60s' } },
      preflight: { retries: 0, interval: 10 },
    },
    ws.configFile,
  );
  const out = await runParity(loaded, { outDir });
  // The same streams as the references measure: those started once the warm-up was over. parity's
  // samples also hold the pairs that started in the warm-up and ended after it (a closed model
  // measures a pair that saw the measured window, see harness/run/shard.ts), ~250 ms of the
  // warm-up's tail, still in its start-up (code compiled, heap grown): 5–6% of the streams at 200,
  // which the references leave out, and the largest errors of many runs were among them.
  const warmFile = join(out.dir, 'warmup.ndjson');
  const warm = existsSync(warmFile) ? readPairsSync(warmFile) : [];
  let runStart = Infinity;
  for (const p of [...warm, ...out.pairs]) runStart = Math.min(runStart, p.baseline.startedAt, p.candidate.startedAt);
  const measureFrom = runStart + warmupS * 1000;
  for (const p of out.pairs) {
    if (p.baseline.startedAt < measureFrom) continue;
    for (const [s, path] of [[p.baseline, '/a'], [p.candidate, '/b']] as const) {
      if (s.outcome === 'complete') measured.push({ key: `${path}|${s.requestId}`, first: s.firstContentMs!, done: s.completionMs! });
    }
  }
} else if (mode === 'undiciPaired') {
  const { Pool } = await import('undici');
  const pool = new Pool(url, { connections: conc });
  const body = '{"message":"hi"}';
  const one = (id: string, path: string, measure: boolean) =>
    new Promise<void>((resolve) => {
      const split = plainSplit(`${path}|${id}`, measure);
      const handler = {
        onConnect: split.start,
        onHeaders: () => true,
        onData: (chunk: Buffer) => (split.feed(chunk.toString()), true),
        onComplete: () => resolve(),
        onError: () => resolve(),
      };
      pool.dispatch({ method: 'POST', path, headers: { 'content-type': 'application/json', 'x-request-id': id }, body }, handler);
    });
  const t0 = performance.now();
  const [measureFrom, end] = [t0 + warmupS * 1000, t0 + (warmupS + seconds) * 1000];
  await Promise.all(
    Array.from({ length: conc / 2 }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const measure = performance.now() >= measureFrom;
        await Promise.all([one(`ref-${w}-${i}`, '/ua', measure), one(`ref-${w}-${i}`, '/ub', measure)]);
      }
    }),
  );
  await pool.close();
} else {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
  const body = '{"message":"hi"}';
  const one = (id: string, path: string, measure: boolean) =>
    new Promise<void>((resolve) => {
      const split = plainSplit(`${path}|${id}`, measure);
      const req = http.request({ agent, host: u.hostname, port: u.port, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-request-id': id } });
      req.once('socket', split.start);
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', split.feed);
        res.on('end', resolve);
      });
      req.on('error', () => resolve());
      req.end(body);
    });
  const t0 = performance.now();
  const [measureFrom, end] = [t0 + warmupS * 1000, t0 + (warmupS + seconds) * 1000];
  // referencePaired: conc/2 loops, each sending the same request to /pa and /pb at once (the pairs parity sends).
  const paired = mode === 'referencePaired';
  await Promise.all(
    Array.from({ length: paired ? conc / 2 : conc }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const measure = performance.now() >= measureFrom;
        if (paired) await Promise.all([one(`ref-${w}-${i}`, '/pa', measure), one(`ref-${w}-${i}`, '/pb', measure)]);
        else await one(`ref-${w}-${i}`, '/r', measure);
      }
    }),
  );
  agent.destroy();
}

const PATHS = { parity: '/a,/b', undiciPaired: '/ua,/ub', reference: '/r', referencePaired: '/pa,/pb' }[mode];
const stamps = (await (await fetch(`${url}/stamps?paths=${PATHS}`)).json()) as Record<string, { recv: number; first: number; done: number }>;
const first: number[] = [];
const done: number[] = [];
for (const m of measured) {
  const s = stamps[m.key];
  if (!s) continue;
  first.push(m.first - (s.first - s.recv) / 1e6);
  done.push(m.done - (s.done - s.recv) / 1e6);
}
const q = (xs: number[], p: number) => (xs.length ? quantile(xs, p) : NaN);
// The client's CPU share over its life (start-up included): near 1, it measured its own queue, not its clock.
const cpu = process.cpuUsage();
const cpuShare = Math.round(((cpu.user + cpu.system) / 1000 / performance.now()) * 100) / 100;
// Every stream's errors too (µs precision), so the bench can pool the streams of all its repeats.
const us = (xs: number[]) => xs.map((x) => Math.round(x * 1000) / 1000);
process.stdout.write(JSON.stringify({ mode, conc, streams: first.length, cpuShare, firstP50: q(first, 0.5), firstP99: q(first, 0.99), doneP50: q(done, 0.5), doneP99: q(done, 0.99), first: us(first), done: us(done) }) + '\n');
