import { Worker } from 'node:worker_threads';
import type { RunResult, Verdict } from '../run/result.ts';
import type { LoadedPolicy } from './load.ts';
import type { GatePair } from './metrics.ts';
import type { JudgeMessage, JudgeReply, JudgeThreadInput } from './judge-thread.ts';

/** Pairs waiting to cross to the judge thread go over in one message per this many ms (or before a call). */
const FLUSH_MS = 500;

/**
 * A policy judged off the caller's thread (judge-thread.ts): the caller adds each measured pair
 * to a numbered bucket (a shadow window, a sweep step) and asks for a judgement on a bucket with
 * its run.json as it stands. Pairs cross in batches, not one message each. A judge that fails to
 * start or dies rejects every call from then on (`broken` says why): callers fall back to their
 * own thread or skip the check, never to a pass.
 */
export class PolicyJudge {
  private readonly worker: Worker;
  private readonly up: Promise<void>;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly outbox = new Map<number, GatePair[]>();
  private readonly flusher: NodeJS.Timeout;
  private nextId = 1;
  private closing = false;
  /** Why the judge thread cannot answer, once it cannot. */
  broken: string | null = null;

  constructor(policy: LoadedPolicy, env: NodeJS.ProcessEnv, opts: { judges?: URL; warn?: (line: string) => void } = {}) {
    const data: JudgeThreadInput = { policyFile: policy.file, env: { ...env }, ...(opts.judges ? { judges: opts.judges.href } : {}) };
    this.worker = new Worker(new URL('./judge-entry.mjs', import.meta.url), { workerData: data });
    this.worker.unref();
    let isUp!: () => void;
    this.up = new Promise<void>((resolve) => (isUp = resolve));
    const fail = (why: string) => {
      if (this.broken === null && !this.closing) opts.warn?.(`parity: the judge thread failed (${why}); judging on the main thread\n`);
      this.broken ??= why;
      isUp();
      for (const p of this.pending.values()) p.reject(new Error(why));
      this.pending.clear();
    };
    this.worker.on('message', (r: JudgeReply) => {
      if ('ready' in r) return isUp();
      if ('startError' in r) return fail(r.startError);
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if ('error' in r) p?.reject(new Error(r.error));
      else p?.resolve(r.result);
    });
    this.worker.on('error', (err) => fail(err.message));
    this.worker.on('exit', (code) => fail(`worker exited with code ${code}`));
    this.flusher = setInterval(() => this.flush(), FLUSH_MS);
    this.flusher.unref();
  }

  /** Waits for the thread's start-up (at most `timeoutMs`), so it does not compete with the first traffic for the CPU. */
  async ready(timeoutMs = 20_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.up, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  add(bucket: number, pair: GatePair): void {
    let b = this.outbox.get(bucket);
    if (!b) this.outbox.set(bucket, (b = []));
    b.push(pair);
  }

  /** Forgets a bucket's pairs (its window or step is judged and done). */
  drop(bucket: number): void {
    this.outbox.delete(bucket);
    this.post({ kind: 'drop', bucket });
  }

  /** The policy's verdict on a bucket (`evaluatePolicy`). */
  evaluate(bucket: number, run: RunResult): Promise<Verdict> {
    return this.call('evaluate', bucket, run) as Promise<Verdict>;
  }

  /** The verdict when the bucket already fails on evidence, else null (`failsSoFar`). */
  failsSoFar(bucket: number, run: RunResult): Promise<Verdict | null> {
    return this.call('failsSoFar', bucket, run) as Promise<Verdict | null>;
  }

  /** A judgement by name: a built-in one, or a named export of the `judges` module. */
  call(fn: string, bucket: number, run: RunResult): Promise<unknown> {
    if (this.broken !== null) return Promise.reject(new Error(this.broken));
    this.flush();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // run.json as it stands, as plain JSON (what run.json holds crosses threads).
      this.post({ kind: 'call', id, fn, bucket, run: JSON.parse(JSON.stringify(run)) as RunResult });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.flusher);
    await this.worker.terminate();
  }

  private flush(): void {
    for (const [bucket, pairs] of this.outbox) if (pairs.length) this.post({ kind: 'add', bucket, pairs: pairs.splice(0) });
  }

  private post(m: JudgeMessage): void {
    if (this.broken !== null) return;
    try {
      this.worker.postMessage(m);
    } catch (err) {
      this.broken = (err as Error).message;
    }
  }
}
