import { INTERRUPTIONS, isSuccess, type StreamSample } from '../metrics/sample.ts';

/** Counters the progress display reads while a run is going; the engine is the only writer. */
export interface TargetCounters {
  name: string;
  role: 'baseline' | 'candidate';
  inFlight: number;
  completed: number;
  errors: number;
  interruptions: number;
}

export interface LiveStats {
  startedAt: number;
  plannedIterations: number | null;
  plannedDurationMs: number | null;
  iterations: number;
  /** Scheduled starts not made because maxInFlight was reached (the same for both targets: an iteration is a pair). */
  dropped: number;
  targets: [TargetCounters, TargetCounters];
}

export function createLiveStats(baseline: string, candidate: string, planned: { iterations?: number | null | undefined; duration?: number | null | undefined }): LiveStats {
  const t = (name: string, role: 'baseline' | 'candidate'): TargetCounters => ({ name, role, inFlight: 0, completed: 0, errors: 0, interruptions: 0 });
  return {
    startedAt: Date.now(),
    plannedIterations: planned.iterations ?? null,
    plannedDurationMs: planned.duration ?? null,
    iterations: 0,
    dropped: 0,
    targets: [t(baseline, 'baseline'), t(candidate, 'candidate')],
  };
}

export function recordSample(c: TargetCounters, s: StreamSample): void {
  c.completed++;
  if (!isSuccess(s.outcome)) c.errors++;
  if (INTERRUPTIONS.includes(s.outcome)) c.interruptions++;
}
