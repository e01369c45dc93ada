import { performance } from 'node:perf_hooks';

/**
 * Deadlines for thousands of streams that share a few durations (the run's first-event, idle and
 * total limits): one Node timer per duration, a doubly linked list of entries in deadline order,
 * O(1) to set, cancel and push back. A Node `setTimeout` per stream and limit costs a Timeout
 * object, an async id and a timer-list insert each time; at thousands of requests a second that
 * was a twentieth of the harness's CPU. Same contract as a timer: `fire` runs once, no earlier
 * than `ms` after `set`, unless cancelled first.
 */
export class Deadline {
  prev: Deadline | undefined;
  next: Deadline | undefined;
  at = 0;
  list: DeadlineList | undefined;

  constructor(readonly fire: () => void) {}

  /** (Re)starts the deadline `ms` from now (`now`: performance.now(), when the caller has just read it). */
  set(ms: number, now?: number): void {
    this.cancel();
    listFor(ms).append(this, now);
  }

  cancel(): void {
    this.list?.remove(this);
  }
}

class DeadlineList {
  private head: Deadline | undefined;
  private tail: Deadline | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  append(d: Deadline, now = performance.now()): void {
    d.at = now + this.ms;
    d.list = this;
    d.prev = this.tail;
    d.next = undefined;
    if (this.tail) this.tail.next = d;
    else {
      this.head = d;
      // A timer left from an earlier head fires no later than this deadline, then re-arms for it.
      if (this.timer) this.timer.ref();
      else this.timer = setTimeout(this.expire, this.ms);
    }
    this.tail = d;
  }

  remove(d: Deadline): void {
    if (d.prev) d.prev.next = d.next;
    else this.head = d.next;
    if (d.next) d.next.prev = d.prev;
    else this.tail = d.prev;
    d.prev = d.next = d.list = undefined;
    // Nothing left to wait for: the timer must not keep the process alive, but it stays armed,
    // because with short requests a list empties and refills every few microseconds.
    if (!this.head) this.timer?.unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    let d = this.head;
    while (d && d.at <= now) {
      this.remove(d);
      d.fire();
      d = this.head;
    }
    // fire() may have set a deadline here (and so a timer) when the list had emptied.
    if (d && !this.timer) this.timer = setTimeout(this.expire, Math.max(1, d.at - now));
  };
}

const lists = new Map<number, DeadlineList>();

function listFor(ms: number): DeadlineList {
  let l = lists.get(ms);
  if (!l) lists.set(ms, (l = new DeadlineList(ms)));
  return l;
}
