import type { Knee, StepStatus } from './capacity.ts';

/** What one target did at one step of a sweep (read from the step's run). */
export interface SweepSide {
  /** The SLO gates (the policy's absolute fail gates) judged on this target alone; null without a policy. */
  status: StepStatus | null;
  /** The gates that did not pass, and run-level reasons (incomplete run, harness health). */
  reasons: string[];
  streams: number;
  /** Completed streams per second of the measured part (warm-up excluded). */
  throughput: number;
  /** Streams meeting the policy's `slo` per second, and as a share of streams; null without an slo. */
  goodputPerSec: number | null;
  goodput: number | null;
  /** Output tokens (sent or estimated) per second of the measured part. */
  outputTokensPerSec: number;
  errorRate: number;
  firstContentP50: number | null;
  firstContentP95: number | null;
  completionP95: number | null;
  tpotP50: number | null;
}

export interface SweepStep {
  rate: number;
  /** The step's run folder (a normal run: run.json, samples, reports), relative to the sweep folder. */
  run: string;
  complete: boolean;
  /** Why the step was cut short (both targets' SLO gates already failed), or null when it ran its planned time; also the run's `incompleteReason`. */
  stoppedEarly: string | null;
  /** The measured time the step's figures are over (warm-up excluded): the planned time, or until the cut. */
  measuredMs: number;
  baseline: SweepSide;
  candidate: SweepSide;
}

export interface CapacityGateResult {
  id: string;
  description: string;
  status: StepStatus;
  value: number | null;
  interval: { low: number; high: number };
  reason: string;
}

/** sweep.json: the steps, each target's knee, the capacity gates and the sweep's verdict. */
export interface SweepResult {
  sweepId: string;
  name: string;
  configFile: string;
  policy: string | null;
  slo: string | null;
  startedAt: string;
  endedAt: string;
  /** Rates are per `timeUnitMs`. */
  timeUnitMs: number;
  stepDurationMs: number;
  warmupMs: number;
  planned: number[];
  steps: SweepStep[];
  /** Set when the sweep stopped before its last planned rate (both targets past their knee, or interrupted); a step cut short says so itself (`steps[].stoppedEarly`). */
  stoppedEarly: string | null;
  knees: { baseline: Knee; candidate: Knee; ratio: number | null };
  gates: CapacityGateResult[];
  /** The verdict the exit code gives: the capacity gates', held back to inconclusive by an interrupted sweep or a step that did not complete. */
  verdict: StepStatus | null;
  /** Why the sweep cannot pass whatever its gates say (an interruption, a step that did not complete and was not cut short); the exit code is 2 for them. */
  heldBack?: string[];
}
