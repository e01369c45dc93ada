import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from './cli.ts';

/** One replay of a capture through the CLI: its output, run.json, and whether the policy's onPass hook ran. */
export interface RigReplay {
  r: Awaited<ReturnType<typeof runCli>>;
  run: RunResult;
  promoted: boolean;
}

export interface ReplayRig {
  dir: string;
  /** The replay's targets config (both backends, no routes). */
  config: string;
  /** Writes `capture` (its text) and a policy (`policy` lines, plus an onPass hook writing a marker), replays at max speed. */
  replay(name: string, capture: string, policy: readonly string[], args?: readonly string[]): Promise<RigReplay>;
  close(): void;
}

/**
 * Two backends on 127.0.0.1 port 0 answering each request (its body read) with `answer` (candidate
 * true for the second), and a replay config for them: what the replay red-team tests share.
 */
export async function replayRig(prefix: string, answer: (candidate: boolean, req: IncomingMessage, res: ServerResponse) => void): Promise<ReplayRig> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const servers: Server[] = [];
  for (const candidate of [false, true]) {
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(candidate, req, res));
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
  }
  const url = (k: number) => `http://127.0.0.1:${(servers[k]!.address() as AddressInfo).port}`;
  const config = path.join(dir, 'replay.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      targets: [
        { name: 'base', role: 'baseline', baseUrl: url(0), routes: {} },
        { name: 'cand', role: 'candidate', baseUrl: url(1), routes: {} },
      ],
      preflight: { retries: 0, interval: 10 },
      outDir: path.join(dir, 'reports'),
    }),
  );
  return {
    dir,
    config,
    async replay(name, capture, policy, args = []) {
      const file = path.join(dir, `${name}.ndjson`);
      writeFileSync(file, capture);
      const marker = path.join(dir, `${name}.promoted`);
      const policyFile = path.join(dir, `${name}.policy.yaml`);
      const hook = ['hooks:', '  onPass:', `    exec: [${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], 'x')", ${JSON.stringify(marker)}]`, ''];
      writeFileSync(policyFile, [...policy, ...hook].join('\n'));
      const r = await runCli(['replay', file, '--config', config, '--policy', policyFile, '--quiet', '--speed', 'max', ...args], {});
      const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
      let promoted = true;
      try {
        readFileSync(marker);
      } catch {
        promoted = false;
      }
      return { r, run, promoted };
    },
    close() {
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
    },
  };
}
