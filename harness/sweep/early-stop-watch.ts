import { performance } from 'node:perf_hooks';
import type { LoadedPolicy } from '../gates/load.ts';
import { PolicyJudge } from '../gates/judge-worker.ts';
import type { GatePair } from '../gates/metrics.ts';
import type { RunResult } from '../run/result.ts';

/** One step's watch: fed the step's pairs, checks them in the judge thread, cuts the step once both targets fail. */
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
 * The sweep's early stop (see early-stop.ts): one judge thread for the whole sweep
 * (gates/judge-worker.ts), judging each step's pairs so far every `everyMs`, one check at a time,
 * with early-stop.ts's `bothFailing`. A judge that fails never cuts a step: the step runs its
 * planned time and is judged at its end as usual (`warn` says why).
 */
export class EarlyStop {
  private readonly judge: PolicyJudge;
  private step = 0;

  constructor(policy: LoadedPolicy, env: NodeJS.ProcessEnv, warn: (line: string) => void = () => undefined) {
    this.judge = new PolicyJudge(policy, env, { judges: new URL('./early-stop.ts', import.meta.url), warn: (line) => warn(line.replace('judging on the main thread', 'steps run their planned time')) });
  }

  /** Waits for the judge thread's start-up, so it does not compete with the first step for the CPU. */
  ready(timeoutMs = 20_000): Promise<void> {
    return this.judge.ready(timeoutMs);
  }

  /** A watch over the next step; `abort(reason)` stops it (the run records the reason). */
  watch(opts: { everyMs: number; warmupMs: number; abort: (reason: string) => void }): StepWatch {
    const step = ++this.step;
    const judge = this.judge;
    let timer: NodeJS.Timeout | undefined;
    let inFlight = false;
    let added = 0;
    let stopped = false;
    let cut: { reason: string; atMs: number } | null = null;
    let t0 = 0;
    return {
      add: (p) => {
        added++;
        judge.add(step, p);
      },
      started: (soFar) => {
        t0 = performance.now();
        timer = setInterval(() => {
          if (inFlight || cut || stopped || judge.broken !== null || added === 0) return;
          inFlight = true;
          judge.call('bothFailing', step, soFar()).then(
            (reason) => {
              inFlight = false;
              if (stopped || cut || typeof reason !== 'string') return;
              cut = { reason, atMs: Math.max(0, performance.now() - t0 - opts.warmupMs) };
              clearInterval(timer);
              opts.abort(reason);
            },
            () => (inFlight = false),
          );
        }, opts.everyMs);
        timer.unref();
      },
      stop: () => {
        stopped = true;
        clearInterval(timer);
        judge.drop(step);
      },
      get cut() {
        return cut;
      },
    };
  }

  close(): Promise<void> {
    return this.judge.close();
  }
}
