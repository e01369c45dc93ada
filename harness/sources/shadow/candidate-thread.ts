import { Worker } from 'node:worker_threads';
import type { ResolvedTarget } from '../../config/load.ts';
import type { TimeoutsConfig } from '../../config/schema.ts';
import type { StreamSample } from '../../metrics/sample.ts';
import type { CandidateCopy, CandidateMessage, CandidateReply, CandidateThreadInput } from './candidate-worker.ts';
import type { ShadowProbeSpec, ShadowRequest } from './probe.ts';

/**
 * The inline proxy's candidate side, off the proxy's thread (candidate-worker.ts): copies cross
 * to the candidate thread in one message per event-loop turn and their samples come back the same
 * way, so the proxy's event loop reads and forwards the baseline's bytes without the candidate's
 * reads, parsing and timers between them.
 *
 * A copy is never silently lost: if the thread fails to start or dies, every copy it had resolves
 * undefined (the proxy counts it dropped) and `broken` says why; the proxy then probes the
 * candidate on its own thread again.
 */
export class CandidateThread {
  private readonly worker: Worker;
  private readonly up: Promise<void>;
  private isUp!: () => void;
  private readonly warn: ((line: string) => void) | undefined;
  private readonly pending = new Map<number, (s: StreamSample | undefined) => void>();
  private outbox: CandidateCopy[] = [];
  private next = 1;
  private closing = false;
  /** Why the thread cannot take copies, once it cannot. */
  broken: string | null = null;

  constructor(target: ResolvedTarget, timeouts: TimeoutsConfig, opts: { warn?: (line: string) => void } = {}) {
    const data: CandidateThreadInput = { target, timeouts };
    this.worker = new Worker(new URL('./candidate-entry.mjs', import.meta.url), { workerData: data });
    this.worker.unref();
    this.warn = opts.warn;
    this.up = new Promise<void>((resolve) => (this.isUp = resolve));
    const fail = (why: string) => this.fail(why);
    this.worker.on('message', (r: CandidateReply) => {
      if ('ready' in r) return this.isUp();
      if ('startError' in r) return fail(r.startError);
      for (const [n, s] of r.results) {
        const settle = this.pending.get(n);
        this.pending.delete(n);
        settle?.(s);
      }
    });
    this.worker.on('error', (err) => fail(err.message));
    this.worker.on('exit', (code) => fail(`worker exited with code ${code}`));
  }

  /** Waits for the thread's start-up (at most `timeoutMs`); `broken` says whether it came up. */
  async ready(timeoutMs = 20_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.up, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Pairs the candidate's sample of a copy; undefined when the thread died before answering (the copy is lost). */
  measure(spec: ShadowProbeSpec, req: ShadowRequest): Promise<StreamSample | undefined> {
    if (this.broken !== null) return Promise.resolve(undefined);
    const n = this.next++;
    if (this.outbox.push({ n, spec, req }) === 1) setImmediate(() => this.flush());
    return new Promise((resolve) => this.pending.set(n, resolve));
  }

  /** Copies not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Closes the candidate's connections and ends the thread; copies still in it resolve undefined. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.broken === null) {
      const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      this.post({ kind: 'close' });
      // The thread ends once its pool is closed; if it does not, it is stopped.
      const timer = setTimeout(() => void this.worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    }
  }

  /** From now on the thread takes no copies: those it had (and those waiting to cross) resolve undefined. */
  private fail(why: string): void {
    if (this.broken === null && !this.closing) this.warn?.(`parity: the candidate thread failed (${why}); ${this.pending.size} copies in it lost, counted as dropped; the candidate is probed on the proxy's thread from now on\n`);
    this.broken ??= why;
    this.isUp();
    this.outbox = [];
    for (const settle of this.pending.values()) settle(undefined);
    this.pending.clear();
  }

  private flush(): void {
    if (!this.outbox.length) return;
    const copies = this.outbox;
    this.outbox = [];
    this.post({ kind: 'copies', copies });
  }

  private post(m: CandidateMessage): void {
    if (this.broken !== null) return;
    try {
      this.worker.postMessage(m);
    } catch (err) {
      this.fail((err as Error).message);
    }
  }
}
