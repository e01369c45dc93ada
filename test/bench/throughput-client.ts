/**
 * One throughput measurement in a fresh process of its own, so no client runs on code the JIT
 * shaped for another (undici's call sites, the heap autocannon leaves behind):
 *   tsx test/bench/throughput-client.ts <parity|parityWorkers2|parityRaw|parityRequest|parityRequestMemory|undici|undiciPaired|undiciDispatch|undiciDispatchPaired|rawPaired|autocannon> <url> <seconds> <connections> [requests]
 * Prints one JSON line: { rate } in requests/s (parityRequestMemory adds the process's RSS, MB, once a second, and the requests sent).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { resolveConfig } from '../../harness/config/load.ts';
import { rawPlan } from '../../harness/raw/requests.ts';
import { runRaw } from '../../harness/raw/run.ts';
import { newRunId, runParity } from '../../harness/run/engine.ts';
import type { LiveStats } from '../../harness/run/live-stats.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { sameRequest } from './same-request.ts';

const [mode, url, seconds, connections] = [process.argv[2]!, process.argv[3]!, Number(process.argv[4]), Number(process.argv[5])];

const RUN_ID = newRunId();
const request = (i: number) => sameRequest(RUN_ID, i);
let sent = 0;

/** Requests/s of `connections` loops each sending one request after another for `seconds`. */
async function loopRate(once: (pool: Pool) => Promise<void>): Promise<number> {
  const pool = new Pool(url, { connections });
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      await once(pool);
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  const rate = n / ((performance.now() - t0) / 1000);
  await pool.close();
  return rate;
}

/** The yardstick: a bare undici Pool loop, request() + body.text(). */
const undici = () =>
  loopRate(async (pool) => {
    const res = await pool.request(request(sent++));
    await res.body.text();
  });

/** One request on undici's lower-level dispatch() API, its body read whole (what parity's probe does, minus the measuring). */
const dispatchOne = (pool: Pool, i: number) =>
  new Promise<void>((resolve, reject) => {
    const chunks: Buffer[] = [];
    pool.dispatch(request(i), {
      onConnect: () => undefined,
      onHeaders: () => true,
      onData: (chunk) => (chunks.push(chunk), true),
      onComplete: () => (Buffer.concat(chunks).toString(), resolve()),
      onError: (err) => reject(err),
    });
  });

/** Requests/s of half the loops, each sending request i to two Pools (half the connections each) at once, the next pair once both answered. */
async function pairedRate(one: (pool: Pool, i: number) => Promise<void>): Promise<number> {
  const pools = [new Pool(url, { connections: connections / 2 }), new Pool(url, { connections: connections / 2 })];
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const i = sent++;
      await Promise.all([one(pools[0]!, i), one(pools[1]!, i)]);
      n += 2;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections / 2 }, loop));
  const rate = n / ((performance.now() - t0) / 1000);
  await Promise.all(pools.map((p) => p.close()));
  return rate;
}

/**
 * The yardstick doing what parity's closed model does on the wire: half the loops, each sending
 * the same request to two Pools (half the connections each, as parity's two targets) at the same
 * moment and starting the next pair once both answered. Pairing is parity's definition of an
 * iteration, and a loop of pairs runs at the pace of the slower answer of each pair: this is
 * the "bare undici Pool loop doing the same requests" for a paired scenario.
 */
const undiciPaired = () =>
  pairedRate(async (pool, i) => {
    const res = await pool.request(request(i));
    await res.body.text();
  });

/**
 * The same loop on undici's lower-level dispatch() API with the handler API its core calls (what
 * parity's probe uses): no body stream, no header parsing per response. Not a target, a
 * reference: it shows what the yardstick loop leaves on the table.
 */
const undiciDispatch = () => loopRate((pool) => dispatchOne(pool, sent++));

/**
 * The ceiling of any client built on undici for a paired scenario: the same pairs as undiciPaired,
 * on undici's lower-level dispatch() API (no body stream, headers left raw), nothing timed or
 * recorded. Not a target: parity's request probe is a dispatch handler on
 * the same API, so whatever this loop reaches against autocannon, parity (which also times,
 * records, spools and diffs every pair) can at most reach on undici.
 */
const undiciDispatchPaired = () => pairedRate(dispatchOne);

/**
 * About the most a paired client can reach: the same pairs as undiciPaired, on raw keep-alive sockets (one per
 * loop and side), each request's bytes written in one call, each answer read only as far as its
 * Content-Length; nothing timed or recorded. Not a target: it shows how far any paired client of
 * this server can go on this machine, against autocannon (the request scenario's ≥ 1× target).
 */
async function rawPaired(): Promise<number> {
  const u = new URL(url);
  const open = () => {
    const socket = net.connect(Number(u.port), u.hostname);
    socket.setNoDelay(true);
    let buf: Buffer | null = null;
    let need = -1;
    let done: (() => void) | null = null;
    socket.on('data', (d: Buffer) => {
      buf = buf ? Buffer.concat([buf, d]) : d;
      if (need < 0) {
        const h = buf.indexOf('\r\n\r\n');
        if (h < 0) return;
        need = h + 4 + Number(/content-length: *(\d+)/i.exec(buf.toString('latin1', 0, h))![1]);
      }
      if (buf.length < need) return;
      buf = buf.length > need ? buf.subarray(need) : null;
      need = -1;
      const d0 = done!;
      done = null;
      d0();
    });
    const send = (i: number) =>
      new Promise<void>((resolve) => {
        done = resolve;
        const r = request(i);
        let head = `${r.method} ${r.path} HTTP/1.1\r\nhost: ${u.host}\r\nconnection: keep-alive\r\n`;
        for (const [k, v] of Object.entries(r.headers)) head += `${k}: ${v}\r\n`;
        socket.write(`${head}content-length: ${Buffer.byteLength(r.body)}\r\n\r\n${r.body}`);
      });
    return { send, socket };
  };
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections / 2 }, async () => {
      const [a, b] = [open(), open()];
      while (performance.now() < end) {
        const i = sent++;
        await Promise.all([a.send(i), b.send(i)]);
        n += 2;
      }
      a.socket.destroy();
      b.socket.destroy();
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function autocannonRate(): Promise<number> {
  const req = request(10_000);
  const r = await autocannon({ url: `${url}${req.path}`, method: req.method, body: req.body, headers: req.headers, connections, duration: seconds });
  return r.requests.total / (r.duration || seconds);
}

/** The bench's parity config: both targets on the same server, half the connections each. */
async function benchConfig() {
  const ws = tempWorkspace();
  const target = (name: string, role: 'baseline' | 'candidate') => ({ name, role, baseUrl: url, routes: { chat: 'POST /chat-stream' }, stream: 'openai' as const, connections: connections / 2 });
  const loaded = await resolveConfig(
    {
      targets: [target('a', 'baseline'), target('b', 'candidate')],
      scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
      load: { vus: connections / 2, duration: seconds * 1000 },
      preflight: { retries: 0, interval: 10 },
    },
    ws.configFile,
  );
  return { ws, loaded };
}

/** `parity raw` (autocannon underneath): both targets at once, half the connections each; requests/s of the two together. */
async function parityRawRate(): Promise<number> {
  const { loaded } = await benchConfig();
  const r = await runRaw(rawPlan(loaded, RUN_ID), { connections: connections / 2, durationSec: seconds, timeoutSec: 10 });
  if (r.targets.some((t) => t.non2xx + t.errors > 0)) throw new Error('parity raw run had failed requests');
  return r.targets[0].requestsPerSec + r.targets[1].requestsPerSec;
}

/** parity's full path: paired iterations (both targets on the same server, half the connections each), every latency recorded, bodies read, samples written. */
async function parityRate(workers: number): Promise<number> {
  const { ws, loaded } = await benchConfig();
  const out = await runParity(loaded, { outDir: ws.out, workers, runId: RUN_ID });
  const s = out.result.summaries[0]!;
  if (s.baseline.outcomes.complete !== s.baseline.count || s.candidate.outcomes.complete !== s.candidate.count) throw new Error('parity throughput run had failed requests');
  if (out.result.samples.pairs !== s.baseline.count) throw new Error(`samples.ndjson holds ${out.result.samples.pairs} pairs for ${s.baseline.count} requests per target`);
  // Requests started within the configured duration (worker start-up is not load time; the drain after the deadline is a few ms).
  return (s.baseline.count + s.candidate.count) / seconds;
}

/**
 * parity's full path on a JSON request scenario: paired (both targets on the same server, half
 * the connections each), whole responses read, latency recorded per endpoint, samples spooled,
 * 5% of the pairs diffed under the contract rules. The request is the one every yardstick sends.
 */
async function parityRequestRun(secs: number, requests = 0, onStart?: (stats: LiveStats) => void): Promise<{ rate: number; requests: number }> {
  const ws = tempWorkspace();
  const target = (name: string, role: 'baseline' | 'candidate') => ({ name, role, baseUrl: url, routes: { chat: 'POST /chat-stream' }, connections: connections / 2 });
  const loaded = await resolveConfig(
    {
      targets: [target('a', 'baseline'), target('b', 'candidate')],
      scenarios: [{ type: 'request', name: 'json', route: 'chat', headers: { accept: 'text/event-stream' }, body: { message: 'hello', session_id: 'parity-{{iteration}}' }, compare: '5%' }],
      // A request count (the memory run's 1 M: pairs of two) or a duration.
      load: requests > 0 ? { vus: connections / 2, iterations: Math.ceil(requests / 2) } : { vus: connections / 2, duration: secs * 1000 },
      preflight: { retries: 0, interval: 10 },
    },
    ws.configFile,
  );
  const t0 = performance.now();
  const out = await runParity(loaded, { outDir: ws.out, runId: RUN_ID, ...(onStart ? { onStart } : {}) });
  if (requests > 0) secs = (performance.now() - t0) / 1000;
  const s = out.result.summaries[0]!;
  if (s.baseline.outcomes.ok !== s.baseline.count || s.candidate.outcomes.ok !== s.candidate.count) throw new Error(`parity request run had failed requests: ${JSON.stringify(s.candidate.outcomes)} ${JSON.stringify(out.pairs.find((p) => p.candidate.outcome !== 'ok')?.candidate)}`);
  if (!out.result.contracts?.some((c) => c.underLoad && c.pairs > 0)) throw new Error('parity request run diffed no pairs');
  return { rate: (s.baseline.count + s.candidate.count) / secs, requests: s.baseline.count + s.candidate.count };
}

/**
 * The same run, long (`seconds`, or `requests` when given: 1 M in the memory target), with
 * the process's RSS once a second and how many iterations had started by then: memory must stay
 * flat while the load runs (histograms bounded, samples on disk). Samples taken after the last
 * iteration started (samples.ndjson written, summaries, the run's end) are the finalize phase.
 */
async function parityRequestMemory(requests: number): Promise<{ rate: number; requests: number; seconds: number; rssMb: number[]; started: number[] }> {
  const rssMb: number[] = [];
  const started: number[] = [];
  let stats: LiveStats | undefined;
  const timer = setInterval(() => {
    rssMb.push(Math.round(process.memoryUsage.rss() / 2 ** 20));
    started.push(stats?.iterations ?? 0);
  }, 1000);
  try {
    const t0 = performance.now();
    const r = await parityRequestRun(seconds, requests, (s) => (stats = s));
    return { ...r, seconds: Math.round((performance.now() - t0) / 1000), rssMb, started };
  } finally {
    clearInterval(timer);
  }
}

const modes: Record<string, () => Promise<number>> = {
  parity: () => parityRate(1),
  parityWorkers2: () => parityRate(2),
  undici,
  undiciPaired,
  undiciDispatch,
  undiciDispatchPaired,
  rawPaired,
  autocannon: autocannonRate,
  parityRaw: parityRawRate,
  parityRequest: async () => (await parityRequestRun(seconds)).rate,
};
if (mode === 'parityRequestMemory') process.stdout.write(`${JSON.stringify(await parityRequestMemory(Number(process.argv[6] ?? 0)))}\n`);
else if (!modes[mode]) throw new Error(`unknown mode ${mode}; one of ${[...Object.keys(modes), 'parityRequestMemory'].join(', ')}`);
else process.stdout.write(`${JSON.stringify({ rate: await modes[mode]() })}\n`);
