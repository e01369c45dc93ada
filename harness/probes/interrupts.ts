/** Something in flight that an outside abort (SIGINT) must stop. */
export interface Interruptible {
  interrupt(): void;
}

/**
 * One abort listener per signal for every probe in flight on it: thousands of streams share the
 * run's signal, and an EventTarget listener added and removed per stream costs more than the
 * stream's own bookkeeping. The listener goes when the last probe leaves.
 */
class SignalWatch {
  readonly members = new Set<Interruptible>();
  private readonly fire = () => {
    watches.delete(this.signal);
    for (const t of this.members) t.interrupt();
  };

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.fire, { once: true });
  }

  leave(target: Interruptible): void {
    this.members.delete(target);
    if (this.members.size === 0 && watches.get(this.signal) === this) {
      watches.delete(this.signal);
      this.signal.removeEventListener('abort', this.fire);
    }
  }
}

const watches = new WeakMap<AbortSignal, SignalWatch>();

/** Calls `target.interrupt()` when `signal` aborts (at once if it already has); returns the unsubscribe. */
export function onInterrupt(signal: AbortSignal, target: Interruptible): () => void {
  const w = joinInterrupt(signal, target);
  return w ? () => w.leave(target) : () => undefined;
}

/**
 * The same without a closure per target: the watch `target` joined (call its `leave(target)` when
 * done), or undefined when the signal had already aborted (then `target.interrupt()` has run).
 */
export function joinInterrupt(signal: AbortSignal, target: Interruptible): { leave(target: Interruptible): void } | undefined {
  if (signal.aborted) {
    target.interrupt();
    return undefined;
  }
  let watch = watches.get(signal);
  if (!watch) watches.set(signal, (watch = new SignalWatch(signal)));
  watch.members.add(target);
  return watch;
}
