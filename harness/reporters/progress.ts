import type { LiveStats } from '../run/live-stats.ts';

export interface ProgressOptions {
  /** Live line redrawn in place (TTY) or a plain line every `intervalMs` (CI logs). */
  tty: boolean;
  write: (text: string) => void;
  intervalMs?: number;
}

/**
 * One line: elapsed/planned, then per target the current start rate (iterations/s over the last
 * interval), in flight, completed, errors, interruptions and dropped starts.
 */
export function progressLine(stats: LiveStats, now = Date.now(), ratePerSec?: number): string {
  const elapsed = (now - stats.startedAt) / 1000;
  const planned = stats.plannedDurationMs !== null ? `/${(stats.plannedDurationMs / 1000).toFixed(0)}s` : '';
  const its = stats.plannedIterations !== null ? ` it ${stats.iterations}/${stats.plannedIterations}` : ` it ${stats.iterations}`;
  const rate = ratePerSec ?? stats.iterations / Math.max(elapsed, 0.001);
  const parts = stats.targets.map(
    (t) =>
      `${t.name}: ${rate.toFixed(1)}/s, ${t.inFlight} in flight, ${t.completed} done, ${t.errors} err, ${t.interruptions} intr${stats.dropped ? `, ${stats.dropped} dropped` : ''}`,
  );
  return `[${elapsed.toFixed(1)}s${planned}${its}] ${parts.join(' | ')}`;
}

/** Starts the display; returns a stop function that prints the final line. */
export function startProgress(stats: LiveStats, opts: ProgressOptions): () => void {
  const every = opts.intervalMs ?? (opts.tty ? 200 : 10_000);
  let last = { at: Date.now(), iterations: stats.iterations };
  const line = () => {
    const now = Date.now();
    const rate = now > last.at ? ((stats.iterations - last.iterations) * 1000) / (now - last.at) : 0;
    last = { at: now, iterations: stats.iterations };
    return progressLine(stats, now, rate);
  };
  const draw = () => opts.write(opts.tty ? `\r\x1b[2K${line()}` : `${line()}\n`);
  const timer = setInterval(draw, every);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (opts.tty) opts.write(`\r\x1b[2K${progressLine(stats)}\n`);
  };
}
