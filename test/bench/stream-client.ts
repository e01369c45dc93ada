/**
 * One stream-scale measurement in a process of its own (so its peak RSS is its own):
 *   tsx test/bench/stream-client.ts <parity|bare> <streams> <url> <outDir>
 * Opens <streams> concurrent SSE streams to a fixture that stamps each event with its send time
 * (process.hrtime.bigint(), the monotonic clock every process on the host shares), and prints one
 * JSON line: client-minus-server timing error p50/p99 over every event, failures, peak RSS.
 */
import { performance } from 'node:perf_hooks';
import { createParser } from 'eventsource-parser';
import { Pool } from 'undici';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { Histogram } from '../../harness/metrics/histogram.ts';
import { tempWorkspace } from '../helpers/config.ts';

const [mode, n, url, outDir] = [process.argv[2]!, Number(process.argv[3]), process.argv[4]!, process.argv[5]!];
const RAMP_MS = 2000;
// performance.now() and process.hrtime share the monotonic clock; this maps one onto the other.
const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();
const error = new Histogram();
let peakRss = 0;
const rss = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
// Both clients call this from their event callback before their own JSON work on the event
// (parity's classifier parses it right after; the bare client parses it right after too), so the
// stamp is read without a second JSON.parse on either side: the fixture writes `"t":"<ns>"`.
const onData = (data: string) => {
  const now = performance.now();
  const at = data.indexOf('"t":"');
  if (at < 0) return;
  error.record(now + offset - Number(BigInt(data.slice(at + 5, data.indexOf('"', at + 5)))) / 1e6);
};
let failures = 0;
let streams = 0;

if (mode === 'parity') {
  const ws = tempWorkspace();
  const loaded = await resolveConfig(
    {
      targets: [
        { name: 'a', role: 'baseline', baseUrl: url, routes: { chat: 'POST /chat-stream' }, stream: 'openai' },
        { name: 'b', role: 'candidate', baseUrl: url, routes: { chat: 'POST /chat-stream' }, stream: 'openai' },
      ],
      scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
      // Paired: n/2 VUs send n streams, each VU one iteration, started over the connection ramp.
      load: { vus: n / 2, iterations: n / 2, rampUp: RAMP_MS, timeouts: { firstEvent: '30s', idle: '30s', total: '60s' } },
      preflight: { retries: 0, interval: 10 },
    },
    ws.configFile,
  );
  const out = await runParity(loaded, { outDir, onStreamEvent: (_t, ev) => onData(ev.data) });
  for (const s of [out.result.summaries[0]!.baseline, out.result.summaries[0]!.candidate]) {
    streams += s.count;
    failures += s.count - s.outcomes.complete;
  }
} else {
  const pool = new Pool(url, { connections: null, bodyTimeout: 0, headersTimeout: 30_000 });
  const one = async (i: number) => {
    await new Promise((r) => setTimeout(r, (i * RAMP_MS) / n));
    try {
      const res = await pool.request({ method: 'POST', path: '/chat-stream', headers: { 'content-type': 'application/json' }, body: '{"message":"hi"}' });
      // The same work per event as parity's openai profile: the timing hook, then JSON.parse of every data line but the sentinel.
      const parser = createParser({
        onEvent: (ev) => {
          onData(ev.data);
          if (ev.data !== '[DONE]') JSON.parse(ev.data);
        },
      });
      const decoder = new TextDecoder();
      let done = false;
      for await (const chunk of res.body) {
        parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      }
      done = true;
      streams++;
      if (!done || res.statusCode !== 200) failures++;
    } catch {
      streams++;
      failures++;
    }
  };
  await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  await pool.close();
}
clearInterval(rss);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
process.stdout.write(JSON.stringify({ mode, n, streams, failures, events: error.count, errorP50: error.quantile(0.5), errorP99: error.quantile(0.99), peakRssMb: peakRss / 1048576 }) + '\n');
