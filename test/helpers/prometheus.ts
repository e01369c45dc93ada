import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real Prometheus (Debian's /usr/bin/prometheus) for the tests: its own config and TSDB in a
 * temp folder, listening on a free loopback port, scraping the given loopback targets every
 * `scrapeIntervalMs`. Never the system service: the process is the test's, stopped by `stop()`.
 * A missing binary is an error, not a skip (`.ci/run` installs the package).
 */
export const PROMETHEUS_BIN = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';

export interface PrometheusHandle {
  url: string;
  scrapeIntervalMs: number;
  /** Resolves once every target was scraped successfully (up == 1) at least `times` times. */
  waitForScrapes(times?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startPrometheus(targets: string[], opts: { scrapeIntervalMs?: number } = {}): Promise<PrometheusHandle> {
  if (!existsSync(PROMETHEUS_BIN)) throw new Error(`${PROMETHEUS_BIN} is missing: apt-get install -y prometheus (or set PROMETHEUS_PATH)`);
  const interval = opts.scrapeIntervalMs ?? 1000;
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-prom-'));
  const configFile = path.join(dir, 'prometheus.yml');
  const sec = `${interval / 1000}s`;
  writeFileSync(
    configFile,
    [
      `global: { scrape_interval: ${sec}, scrape_timeout: ${sec}, evaluation_interval: ${sec} }`,
      'scrape_configs:',
      '  - job_name: fixtures',
      `    static_configs: [ { targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}] } ]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const log = openSync(path.join(dir, 'prometheus.log'), 'a');
  const proc: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h'],
    { stdio: ['ignore', log, log] },
  );
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited (${proc.exitCode}): ${readFileSync(path.join(dir, 'prometheus.log'), 'utf8').slice(-2000)}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('prometheus did not become ready within 20s');
    }
    await sleep(100);
  }
  return {
    url,
    scrapeIntervalMs: interval,
    async waitForScrapes(times = 1) {
      const until = Date.now() + 20_000 + times * interval;
      for (;;) {
        const body = (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(`count_over_time(up[1h])`)}`).then((r) => r.json())) as { data: { result: { metric: { instance: string }; value: [number, string] }[] } };
        const up = (await fetch(`${url}/api/v1/query?query=up`).then((r) => r.json())) as { data: { result: { metric: { instance: string }; value: [number, string] }[] } };
        const okAll = targets.every((t) => up.data.result.some((r) => r.metric.instance === t && r.value[1] === '1') && body.data.result.some((r) => r.metric.instance === t && Number(r.value[1]) >= times));
        if (okAll) return;
        if (Date.now() > until) throw new Error(`prometheus did not scrape ${targets.join(', ')} ${times} times`);
        await sleep(interval / 4);
      }
    },
    stop,
  };
}
