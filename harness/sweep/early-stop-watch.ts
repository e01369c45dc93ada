import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { LoadedPolicy } from '../gates/load.ts';
import type { GatePair } from '../gates/metrics.ts';
import type { RunResult } from '../run/result.ts';
import type { CheckMessage, CheckReply, EarlyStopWorkerInput } from './early-stop-worker.ts';

/** One step's watch: fed the step's pairs, checks them in the worker, cuts the step once both targets fail. */
export interface StepWatch {
  /** Every measured pair of the step, as the gates keep it. */
  add(pair: GatePair): void;
  /** The load started: the step's run so far becomes readable, and the checks begin. */
  started(soFar: () => RunResult): void;
  /** Ends the checks (the step ended). */
  stop(): void;
  /** Why the step was cut, if it was, and when: measured ms since the warm-up ended. */
  readonly cut: { reason: string; atMs: number } | null;
}

/**
 * The sweep's early stop (see early-stop.ts): one worker thread for the whole sweep, judging each
 * step's pairs so far every `everyMs`, one check at a time. A worker that fails never cuts a step:
 * the step runs its planned time and is judged at its end as usual (`warn` says why).
 */
export class EarlyStop {
  private readonly worker: Worker;
  private step = 0;
  private broken: string | null = null;
  private closing = false;
  /** Settles once the worker has loaded the policy (or failed). */
  private readonly up: Promise<void>;
  private onReply: ((r: CheckReply) => void) | null = null;

  constructor(policy: LoadedPolicy, env: NodeJS.ProcessEnv, private readonly warn: (line: string) => void = () => undefined) {
    const data: EarlyStopWorkerInput = { policyFile: policy.file, env: { ...env } };
    this.worker = new Worker(new URL('./early-stop-entry.mjs', import.meta.url), { workerData: data });
    this.worker.unref();
    const fail = (why: string) => this.fail(why);
    let isUp!: () => void;
    this.up = new Promise<void>((resolve) => (isUp = resolve));
    this.worker.on('message', (r: CheckReply & { error?: string; ready?: boolean }) => {
      if (r.error) fail(r.error);
      if (r.ready || r.error) isUp();
      else this.onReply?.(r);
    });
    this.worker.once('exit', () => isUp());
    this.worker.on('error', (err) => fail(err.message));
    this.worker.on('exit', (code) => code !== 0 && !this.closing && fail(`worker exited with code ${code}`));
  }

  /** Waits for the worker's start-up (at most `timeoutMs`), so it does not compete with the first step for the CPU. */
  async ready(timeoutMs = 20_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.up, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private fail(why: string): void {
    if (this.broken === null) this.warn(`parity: the sweep's early-stop check failed (${why}); steps run their planned time\n`);
    this.broken ??= why;
  }

  /** A watch over the next step; `abort(reason)` stops it (the run records the reason). */
  watch(opts: { everyMs: number; warmupMs: number; abort: (reason: string) => void }): StepWatch {
    const step = ++this.step;
    let pending: GatePair[] = [];
    let timer: NodeJS.Timeout | undefined;
    let inFlight = false;
    let stopped = false;
    let cut: { reason: string; atMs: number } | null = null;
    let t0 = 0;
    this.onReply = (r) => {
      inFlight = false;
      if (r.step !== step || stopped || cut || r.reason === null) return;
      cut = { reason: r.reason, atMs: Math.max(0, performance.now() - t0 - opts.warmupMs) };
      clearInterval(timer);
      opts.abort(r.reason);
    };
    return {
      add: (p) => void pending.push(p),
      started: (soFar) => {
        t0 = performance.now();
        timer = setInterval(() => {
          if (inFlight || cut || this.broken !== null || pending.length === 0) return;
          try {
            // run.json as it stands, as plain JSON (what run.json holds crosses threads).
            const msg: CheckMessage = { step, pairs: pending, run: JSON.parse(JSON.stringify(soFar())) as RunResult };
            this.worker.postMessage(msg);
            pending = [];
            inFlight = true;
          } catch (err) {
            this.fail((err as Error).message);
          }
        }, opts.everyMs);
        timer.unref();
      },
      stop: () => {
        stopped = true;
        clearInterval(timer);
      },
      get cut() {
        return cut;
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}
