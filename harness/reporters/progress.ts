import type { LiveStats } from '../run/live-stats.ts';

export interface ProgressOptions {
  /** Live line redrawn in place (TTY) or a plain line every `intervalMs` (CI logs). */
  tty: boolean;
  write: (text: string) => void;
  intervalMs?: number;
}

export function progressLine(stats: LiveStats, now = Date.now()): string {
  const elapsed = (now - stats.startedAt) / 1000;
  const planned = stats.plannedDurationMs !== null ? `/${(stats.plannedDurationMs / 1000).toFixed(0)}s` : stats.plannedIterations !== null ? ` it ${stats.iterations}/${stats.plannedIterations}` : '';
  const parts = stats.targets.map(
    (t) => `${t.name}: ${t.completed} done, ${t.inFlight} in flight, ${t.errors} err, ${t.interruptions} intr, ${(t.completed / Math.max(elapsed, 0.001)).toFixed(1)}/s`,
  );
  return `[${elapsed.toFixed(1)}s${planned}] ${parts.join(' | ')}`;
}

/** Starts the display; returns a stop function that prints the final line. */
export function startProgress(stats: LiveStats, opts: ProgressOptions): () => void {
  const every = opts.intervalMs ?? (opts.tty ? 200 : 10_000);
  const draw = () => opts.write(opts.tty ? `\r\x1b[2K${progressLine(stats)}` : `${progressLine(stats)}\n`);
  const timer = setInterval(draw, every);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (opts.tty) opts.write(`\r\x1b[2K${progressLine(stats)}\n`);
  };
}
