/**
 * `npm run bench` section "shadow" (BENCH_ONLY=shadow): what parity's inline proxy adds on the
 * baseline path, against a direct connection and against nginx `proxy_pass` (proxy_buffering off)
 * to the same backend, all on loopback, every figure from the same run:
 * - time to first SSE event at 200 concurrent streams (p50/p99) through nginx and through parity
 *   (candidate healthy, down, 10× slower), each beside direct streams to the same backend at the
 *   same time: added time = via − direct; beside them two yardsticks on the proxy's core
 *   (node-proxy.ts): a bare node:http + undici reverse proxy and a Node TCP relay;
 * - JSON throughput (autocannon, 50 connections) through parity vs through nginx;
 * and, in the "memory" section, parity's RSS over a mirrored run with windows rotating
 * (benchShadowSoak).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { quantile } from 'simple-statistics';
import { Pool } from 'undici';
import { freePort, startNginx } from '../helpers/nginx.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STREAMS = Number(process.env.BENCH_SHADOW_STREAMS ?? 200);
/** Streams sent straight to the backend alongside the proxied ones: the reference of the same moments. */
const DIRECT_STREAMS = Number(process.env.BENCH_SHADOW_DIRECT_STREAMS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Streams started in the first seconds through a hop are not measured: connections opening, a fresh proxy's code not yet optimized. */
const WARMUP_SECONDS = 3;
/** About one stream's length (the fixture's first-content delay + 20 tokens 50 ms apart): the loops' start phases spread over it. */
const STREAM_MS = 1_000;
const SOAK_SECONDS = Number(process.env.BENCH_SHADOW_SOAK_SECONDS ?? 60);
const log = (s: string) => process.stderr.write(`${s}\n`);

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

/**
 * Core pinning (`taskset`, when installed and the machine has 2+ cores): the proxy under test
 * (nginx's worker, or parity) on core 1; the client (this process) and the backends (the
 * baseline's, and the candidate's that only parity loads) on core 0, the same in every run.
 * Unpinned, a shadowing parity shares two cores with the candidate's backend, which it loads as
 * much as the baseline's (nginx leaves it idle), so its figures measured the machine's contention
 * more than the proxy.
 */
const PIN = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const PROXY_CORE = '1';
const pinned = (cpu: string | undefined, argv: string[]) => (PIN && cpu !== undefined ? ['taskset', '-c', cpu, ...argv] : argv);

function spawnListening(args: string[], pattern: RegExp, cpu: string | undefined = '0'): Promise<{ child: ChildProcess; url: string }> {
  const [cmd, ...rest] = pinned(cpu, [process.execPath, ...args]);
  const child = spawn(cmd!, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`${args.join(' ')} exited with ${c}`)));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
  });
}

const fixture = (opts: object, cpu: string | undefined = '0') => spawnListening(['--import', 'tsx', 'fixtures/backends/serve.ts', JSON.stringify(opts)], /listening (\S+)/, cpu);

async function shadowProcess(baseline: string, candidate: string, extra: string[] = [], shadow: object = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parity-bench-shadow-'));
  const file = path.join(dir, 'shadow.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'bench shadow',
      targets: [
        { name: 'b', role: 'baseline', baseUrl: baseline, routes: { chat: 'POST /chat-stream', items: 'GET /items' }, stream: 'openai' },
        { name: 'c', role: 'candidate', baseUrl: candidate, routes: { chat: 'POST /chat-stream', items: 'GET /items' }, stream: 'openai' },
      ],
      shadow: { routes: { chat: { allowWrites: true } }, candidate: { concurrency: 400, queue: 1000 }, ...shadow },
      outDir: path.join(dir, 'reports'),
      preflight: { retries: 0, interval: 10 },
    }),
  );
  const port = await freePort();
  return spawnListening([...(process.env.BENCH_PARITY_NODE_ARGS?.split(' ').filter(Boolean) ?? []), 'bin/parity.mjs', 'shadow', file, '--listen', `127.0.0.1:${port}`, '--quiet', ...extra], /listening on (\S+)/, PROXY_CORE);
}

/** One stream's times on the monotonic clock every process on the host shares (ns). */
interface HopTimes {
  sent: bigint;
  /** The backend's own stamps: request arrival (header) and first event written (the event's `t`). */
  received: bigint;
  written: bigint;
  /** When the client had the first body chunk. */
  firstChunk: bigint;
}

/** Sends one stream request and takes its hop times (undici's dispatch API: no body stream, so the client adds the least). */
function oneStream(pool: Pool): Promise<HopTimes | undefined> {
  return new Promise((resolve) => {
    const t: Partial<HopTimes> = { sent: process.hrtime.bigint() };
    let text = '';
    pool.dispatch(
      { method: 'POST', path: '/chat-stream', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: '{"message":"hi"}' },
      {
        onConnect: () => undefined,
        onHeaders: (_status, raw) => {
          for (let i = 0; i + 1 < raw.length; i += 2) if (String(raw[i]).toLowerCase() === 'x-fixture-received-ns') t.received = BigInt(String(raw[i + 1]));
          return true;
        },
        onData: (chunk) => {
          t.firstChunk ??= process.hrtime.bigint();
          if (t.written === undefined) {
            text += chunk.toString();
            const m = /"t":"(\d+)"/.exec(text);
            if (m) t.written = BigInt(m[1]!);
          }
          return true;
        },
        onComplete: () => resolve(t.received !== undefined && t.written !== undefined ? (t as HopTimes) : undefined),
        onError: () => resolve(undefined),
      },
    );
  });
}

/** hopP50/99: request + response hop; reqP50: the request's hop alone (send → backend arrival), resP50: the first event's (backend write → client). */
type FirstEvent = { p50: number; p99: number; streams: number; hopP50: number; hopP99: number; reqP50: number; resP50: number };

/**
 * STREAMS streams at a time through `url` for SECONDS after WARMUP_SECONDS unmeasured (the
 * connections opening through every hop; a fresh proxy's code not yet optimized), and,
 * when `direct` is given, DIRECT_STREAMS more straight to the backend at the same time: per
 * stream, the time from send to the first body byte (the first SSE event), ms, and the hops'
 * share of it: (backend arrival − send) + (client's first byte − backend's first write), from the
 * backend's own stamps on the host's shared monotonic clock. The backend's think time (its
 * first-content delay and timer jitter) is in the first figure and not in the second.
 *
 * The direct streams are the reference of the same moments: on this machine the client, the
 * backend and the proxy share two cores, and a direct run measured before or after the proxied
 * one differed from it by more (±3 ms at p50) than the proxy adds. Measured side by side, both
 * kinds of stream see the same contention, and the difference of their hop times is the proxy's.
 */
async function firstEvent(url: string, direct?: string): Promise<FirstEvent & { direct?: FirstEvent }> {
  const pool = new Pool(url, { connections: STREAMS });
  const directPool = direct ? new Pool(direct, { connections: DIRECT_STREAMS }) : undefined;
  const via = { total: [] as number[], hops: [] as number[], req: [] as number[], res: [] as number[] };
  const ref = { total: [] as number[], hops: [] as number[], req: [] as number[], res: [] as number[] };
  const start = performance.now();
  const end = start + (WARMUP_SECONDS + SECONDS) * 1000;
  // Each loop starts at its own phase of one stream's length, as independent users do: started
  // together, 200 loops stay in step, every 50 ms all 200 streams' events arrive at once, and the
  // bench measures how long a proxy takes to work through a burst of 200 (400 for parity, which
  // reads the candidate's too) rather than what it adds to a stream.
  const loop = (p: Pool, into: typeof via) => async (_: unknown, k: number, all: unknown[]) => {
    await new Promise((r) => setTimeout(r, (k / all.length) * STREAM_MS));
    while (performance.now() < end) {
      const steady = performance.now() - start >= WARMUP_SECONDS * 1000;
      const t = await oneStream(p);
      if (!t || !steady) continue;
      into.total.push(Number(t.firstChunk - t.sent) / 1e6);
      into.hops.push(Number(t.received - t.sent + (t.firstChunk - t.written)) / 1e6);
      into.req.push(Number(t.received - t.sent) / 1e6);
      into.res.push(Number(t.firstChunk - t.written) / 1e6);
    }
  };
  await Promise.all([...Array.from({ length: STREAMS }).map(loop(pool, via)), ...(directPool ? Array.from({ length: DIRECT_STREAMS }).map(loop(directPool, ref)) : [])]);
  await Promise.all([pool.close(), directPool?.close()]);
  const stats = (m: typeof via): FirstEvent => ({ p50: quantile(m.total, 0.5), p99: quantile(m.total, 0.99), streams: m.total.length, hopP50: quantile(m.hops, 0.5), hopP99: quantile(m.hops, 0.99), reqP50: quantile(m.req, 0.5), resP50: quantile(m.res, 0.5) });
  return { ...stats(via), ...(directPool ? { direct: stats(ref) } : {}) };
}

/** CPU seconds a process has used so far (utime + stime from /proc, in clock ticks of 100 Hz). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** CPU seconds of nginx's master and its workers (the master's pid from its pid file, the workers as its children). */
function nginxCpuSeconds(dir: string): number {
  const master = Number(readFileSync(path.join(dir, 'nginx.pid'), 'utf8').trim());
  const children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [master, ...children].reduce((a, pid) => a + cpuSeconds(pid), 0);
}

/** Runs `firstEvent` through a proxy (with direct streams beside it) and takes the proxy's CPU per stream (ms) over it. */
async function withCpu(url: string, direct: string, cpu: () => number): Promise<FirstEvent & { direct?: FirstEvent; cpuMsPerStream: number; cpuShare: number }> {
  const c0 = cpu();
  const t0 = performance.now();
  const r = await firstEvent(url, direct);
  const used = cpu() - c0;
  return { ...r, cpuMsPerStream: (used * 1000) / r.streams, cpuShare: used / ((performance.now() - t0) / 1000) };
}

async function jsonRate(url: string): Promise<number> {
  const r = await autocannon({ url: `${url}/items`, connections: 50, duration: SECONDS });
  return r.requests.average;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Pins a running process and all its threads to `cpu` (no-op unpinned). */
function pinPid(pid: number, cpu: string): void {
  if (PIN) spawnSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
}

type Hop = FirstEvent & { direct?: FirstEvent; cpuMsPerStream?: number; cpuShare?: number };
const spread = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]! };
};

export async function benchShadow(): Promise<Record<string, unknown>> {
  log('5. shadow inline proxy (added time to first event at 200 streams; JSON throughput vs nginx; RSS over a mirrored run)');
  // Chat-like streams (20 tokens 50 ms apart after 20 ms, ~1.1 s each, as LLM answers stream): 200
  // at a time is ~180 streams/s through each hop. parity's CPU share over the run is reported:
  // near 100% its own queue would be in the figures (shorter streams at the same concurrency,
  // e.g. 8 tokens 20 ms apart, ~1,100 streams/s, saturate its one event loop on this machine).
  const gap = { framing: 'openai', streamPath: '/chat-stream', tokens: 20, firstContentDelayMs: 20, interEventGapMs: 50, stampEvents: true };
  // The client runs in this process: on core 0 with the backends, for this section.
  pinPid(process.pid, '0');
  const base = await fixture(gap);
  // The candidate's backends, which only parity's runs load, share core 0 with the client and the
  // baseline's backend. Left to the OS scheduler, they ran on the proxy's core half the time and
  // took parity's CPU (nginx leaves them idle); in production they run on other machines. On the
  // client's core they slow the client's reads too, but the direct streams measured alongside
  // see the same, and only the difference is read.
  const cand = await fixture(gap);
  const slow = await fixture({ ...gap, firstContentDelayMs: 200, interEventGapMs: 500 });
  const kill: ChildProcess[] = [base.child, cand.child, slow.child];
  try {
    const nginxPort = await freePort();
    const nginx = await startNginx(
      () => `  server {\n    listen 127.0.0.1:${nginxPort};\n    location / { proxy_pass http://keep; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }\n  }\n  upstream keep { server ${base.url.replace('http://', '')}; keepalive 256; }`,
      nginxPort,
    );
    const nginxPids = () => {
      const master = Number(readFileSync(path.join(nginx.dir, 'nginx.pid'), 'utf8').trim());
      return [master, ...readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)];
    };
    for (const pid of nginxPids()) pinPid(pid, PROXY_CORE);
    const nginxUrl = `http://127.0.0.1:${nginxPort}`;
    const healthy = await shadowProcess(base.url, cand.url);
    const down = await shadowProcess(base.url, 'http://127.0.0.1:9');
    const slower = await shadowProcess(base.url, slow.url);
    kill.push(healthy.child, down.child, slower.child);

    // Yardsticks on the proxy's core, nothing measured or copied (node-proxy.ts): a bare node:http +
    // undici reverse proxy (parity's inline shape) and a Node TCP relay (sockets alone).
    const nodeHttp = await spawnListening(['--import', 'tsx', 'test/bench/node-proxy.ts', 'http', base.url], /listening (\S+)/, PROXY_CORE);
    const nodeTcp = await spawnListening(['--import', 'tsx', 'test/bench/node-proxy.ts', 'tcp', base.url], /listening (\S+)/, PROXY_CORE);
    kill.push(nodeHttp.child, nodeTcp.child);
    const hops = {
      nginx: () => withCpu(nginxUrl, base.url, () => nginxCpuSeconds(nginx.dir)),
      parity: () => withCpu(healthy.url, base.url, () => cpuSeconds(healthy.child.pid!)),
      nodeHttp: () => withCpu(nodeHttp.url, base.url, () => cpuSeconds(nodeHttp.child.pid!)),
      nodeTcp: () => withCpu(nodeTcp.url, base.url, () => cpuSeconds(nodeTcp.child.pid!)),
    };
    type HopName = keyof typeof hops;
    const names = Object.keys(hops) as HopName[];

    // Repeats alternate the order (forwards, backwards); each proxy's added time is read against
    // the direct streams measured at the same time as it.
    const runs = Object.fromEntries(names.map((n) => [n, [] as Hop[]])) as Record<HopName, Hop[]>;
    for (let r = 0; r < REPEATS; r++) {
      for (const hop of r % 2 === 0 ? names : [...names].reverse()) {
        const x: Hop = await hops[hop]();
        runs[hop].push(x);
        log(`  repeat ${r + 1} ${hop}: first event p50/p99 ${x.p50.toFixed(2)}/${x.p99.toFixed(2)} ms (hops ${x.hopP50.toFixed(2)}/${x.hopP99.toFixed(2)}, request ${x.reqP50.toFixed(2)} + first event ${x.resP50.toFixed(2)} at p50; direct alongside ${x.direct!.hopP50.toFixed(2)}/${x.direct!.hopP99.toFixed(2)}, ${x.direct!.reqP50.toFixed(2)} + ${x.direct!.resP50.toFixed(2)}), CPU ${(x.cpuShare! * 100).toFixed(0)}%, ${x.cpuMsPerStream!.toFixed(2)} ms per stream`);
      }
    }
    // Added time: the proxied streams' hop time minus the direct streams' of the same run.
    const addedBy = (hop: HopName, q: 'hopP50' | 'hopP99') => runs[hop].map((x) => x[q] - x.direct![q]);
    const added = (hop: HopName) => ({ p50: spread(addedBy(hop, 'hopP50')), p99: spread(addedBy(hop, 'hopP99')) });
    const addedAll = Object.fromEntries(names.map((n) => [n, added(n)])) as Record<HopName, ReturnType<typeof added>>;
    const addedNginx = addedAll.nginx;
    const addedParity = addedAll.parity;
    const med = (hop: HopName, k: 'p50' | 'p99' | 'hopP50' | 'hopP99' | 'cpuMsPerStream' | 'cpuShare') => spread(runs[hop].map((x) => x[k] ?? NaN)).median;
    const medDirect = (k: 'p50' | 'p99' | 'hopP50' | 'hopP99') => spread(names.flatMap((n) => runs[n]).map((x) => x.direct![k])).median;
    const vsNginx = (hop: HopName) => ({ p50: addedAll[hop].p50.median / addedNginx.p50.median, p99: addedAll[hop].p99.median / addedNginx.p99.median });
    const viaParityDown = await firstEvent(down.url);
    const viaParitySlow = await firstEvent(slower.url);
    const jsonNginx = await jsonRate(nginxUrl);
    const jsonParity = await jsonRate(healthy.url);
    await nginx.close();
    for (const c of [healthy.child, down.child, slower.child, nodeHttp.child, nodeTcp.child]) c.kill('SIGTERM');

    const result = {
      streams: STREAMS,
      stream: gap,
      pinned: PIN ? { proxy: `core ${PROXY_CORE}`, clientAndBackends: 'core 0' } : false,
      repeats: REPEATS,
      runs,
      parityCpuShare: med('parity', 'cpuShare'),
      firstEventMs: {
        direct: { p50: medDirect('p50'), p99: medDirect('p99'), hopP50: medDirect('hopP50'), hopP99: medDirect('hopP99'), streamsAlongside: DIRECT_STREAMS },
        nginx: { p50: med('nginx', 'p50'), p99: med('nginx', 'p99'), hopP50: med('nginx', 'hopP50'), hopP99: med('nginx', 'hopP99') },
        parity: { p50: med('parity', 'p50'), p99: med('parity', 'p99'), hopP50: med('parity', 'hopP50'), hopP99: med('parity', 'hopP99') },
        parityCandidateDown: viaParityDown,
        parityCandidate10xSlower: viaParitySlow,
      },
      // Medians of the per-repeat added times, with their spread.
      addedFirstEventMs: addedAll,
      // Targets: parity's added p50/p99 ≤ 1.5× nginx's; candidate down or slow: ≤ 1.1× the healthy figure.
      addedRatioVsNginx: vsNginx('parity'),
      // The yardsticks against nginx (reported): where a Node proxy of parity's shape starts.
      yardsticksVsNginx: { nodeHttp: vsNginx('nodeHttp'), nodeTcp: vsNginx('nodeTcp') },
      candidateDownVsHealthy: { p50: viaParityDown.p50 / med('parity', 'p50'), p99: viaParityDown.p99 / med('parity', 'p99') },
      candidate10xSlowerVsHealthy: { p50: viaParitySlow.p50 / med('parity', 'p50'), p99: viaParitySlow.p99 / med('parity', 'p99') },
      jsonRate: { nginx: jsonNginx, parity: jsonParity, ratio: jsonParity / jsonNginx },
      // What a proxied stream costs each proxy (parity also probes both sides, copies to the candidate and spools).
      cpuMsPerStream: { nginx: med('nginx', 'cpuMsPerStream'), parity: med('parity', 'cpuMsPerStream'), nodeHttp: med('nodeHttp', 'cpuMsPerStream'), nodeTcp: med('nodeTcp', 'cpuMsPerStream'), ratio: med('parity', 'cpuMsPerStream') / med('nginx', 'cpuMsPerStream') },
    };
    const fe = (v: FirstEvent) => `${v.p50.toFixed(2)}/${v.p99.toFixed(2)} (hops ${v.hopP50.toFixed(2)}/${v.hopP99.toFixed(2)})`;
    const ad = (a: ReturnType<typeof added>) => `${a.p50.median.toFixed(2)}/${a.p99.median.toFixed(2)} ms (p50 spread ${a.p50.min.toFixed(2)}..${a.p50.max.toFixed(2)})`;
    log(`  added time to first event p50/p99: nginx ${ad(addedNginx)}, parity ${ad(addedParity)}, bare Node proxy ${ad(addedAll.nodeHttp)}, Node TCP relay ${ad(addedAll.nodeTcp)}; candidate down ${fe(viaParityDown)}, 10× slower ${fe(viaParitySlow)}`);
    log(`  JSON req/s: nginx ${jsonNginx.toFixed(0)}, parity ${jsonParity.toFixed(0)}`);
    return result;
  } finally {
    for (const c of kill) if (c.exitCode === null) c.kill('SIGTERM');
    pinPid(process.pid, `0-${os.cpus().length - 1}`);
  }
}

/**
 * parity's RSS over a mirrored run with windows rotating every 5 s, sampled once a second
 * (BENCH_SHADOW_SOAK_SECONDS, default 60; the 10 minutes is 600): flat means the last
 * third's median is no higher than the middle third's.
 */
export async function benchShadowSoak(): Promise<Record<string, unknown>> {
  const gap = { framing: 'openai', streamPath: '/chat-stream', tokens: 8, firstContentDelayMs: 20, interEventGapMs: 20 };
  const base = await fixture(gap);
  const cand = await fixture(gap);
  const kill: ChildProcess[] = [base.child, cand.child];
  try {
    // Memory over a mirrored run: windows rotate every 5 s; RSS sampled each second.
    const soak = await shadowProcess(base.url, cand.url, ['--mode', 'mirror', '--window', '5s'], {});
    kill.push(soak.child);
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssMb(soak.child.pid!)), 1000);
    const soakEnd = Date.now() + SOAK_SECONDS * 1000;
    const pool = new Pool(soak.url, { connections: 20 });
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (Date.now() < soakEnd) await pool.request({ method: 'POST', path: '/chat-stream', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: '{"message":"hi"}' }).then((r) => r.body.dump());
      }),
    );
    clearInterval(sampler);
    await pool.close();
    soak.child.kill('SIGTERM');
    const third = Math.max(1, Math.floor(rss.length / 3));
    const early = quantile(rss.slice(third, 2 * third), 0.5);
    const late = quantile(rss.slice(-third), 0.5);

    log(`  shadow mirror ${SOAK_SECONDS} s: RSS ${early.toFixed(0)} → ${late.toFixed(0)} MB`);
    return { seconds: SOAK_SECONDS, rssMb: rss, middleThirdMedianMb: early, lastThirdMedianMb: late, growth: late / early };
  } finally {
    for (const c of kill) if (c.exitCode === null) c.kill('SIGTERM');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(await benchShadow(), null, 2) + '\n');
}
