/**
 * A counting semaphore, first come first served: a target's connection limit, held by the
 * harness so that the moment a request really leaves (a connection was free) is known. Waiting
 * here is queueing behind a busy backend, which latencies from the intended start include.
 */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Resolves when a slot is taken; undefined when one was free at once (no tick lost). */
  acquire(): Promise<void> | undefined {
    if (this.free > 0) {
      this.free--;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
