import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { executeShadow, type ShadowOptions } from '../../harness/pipeline/shadow.ts';
import { captureIO } from './cli.ts';
import { tempWorkspace } from './config.ts';

export interface RunningShadow {
  url: string;
  adminUrl: string | undefined;
  dir: string;
  /** Resolves when the shadow ends by itself (--windows, --duration, a decision in mirror mode). */
  done: Promise<{ code: number; out: string; err: string }>;
  /** Ctrl-C: finishes the current window as incomplete. */
  stop(): Promise<{ code: number; out: string; err: string }>;
}

/** Runs `parity shadow` in-process on a config written to a temp folder; listens on 127.0.0.1:0. */
export async function startShadow(config: ConfigInput, opts: Partial<ShadowOptions> = {}): Promise<RunningShadow> {
  const ws = tempWorkspace();
  const file = path.join(ws.dir, 'shadow.config.json');
  writeFileSync(file, JSON.stringify(config));
  const ac = new AbortController();
  const cap = captureIO({});
  let ready!: (v: { url: string; adminUrl: string | undefined; dir: string }) => void;
  const listening = new Promise<{ url: string; adminUrl: string | undefined; dir: string }>((r) => (ready = r));
  const done = executeShadow(file, { listen: { host: '127.0.0.1', port: 0 }, mode: 'inline', outDir: ws.out, quiet: true, signal: ac.signal, onListening: ready, ...opts }, cap.io).then((code) => ({ code, out: cap.out, err: cap.err }));
  const info = await Promise.race([listening, done.then((r) => Promise.reject(new Error(`shadow ended before listening (exit ${r.code}): ${r.err}${r.out}`)))]);
  return { ...info, done, stop: () => (ac.abort(), done) };
}
