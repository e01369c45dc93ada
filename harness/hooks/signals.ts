/**
 * Ctrl-C and SIGTERM while hooks run. A hook may be a promotion or a rollback running in its own
 * process group: exiting at once would leave it running with nothing on record. So while hooks
 * run, parity owns SIGINT/SIGTERM:
 *
 *   first signal   no further hook starts; the running hook is waited for (its own timeout bounds
 *                  the wait) and recorded; the rest are recorded as not run; exit 2
 *   second signal  the running hook is recorded as abandoned (audit and run.json, synchronously),
 *                  then parity exits 2 at once
 *
 * Other signal handlers (the run's Ctrl-C handling) stand aside while a hook phase is active.
 */
export interface HookPhase {
  /** A signal arrived: start no further hook. */
  readonly interrupted: boolean;
  dispose(): void;
}

let active: HookPhase | null = null;

export function hookPhaseActive(): boolean {
  return active !== null;
}

export function enterHookPhase(opts: { log: (line: string) => void; abandon: () => void; exit?: (code: number) => never }): HookPhase {
  let signals = 0;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      opts.log(`\n${sig} while hooks run: waiting for the running hook to finish (bounded by its timeout); no further hook starts. Again to abandon it (recorded as abandoned).\n`);
      return;
    }
    opts.abandon();
    exit(2);
  };
  const phase: HookPhase = {
    get interrupted() {
      return signals > 0;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (active === phase) active = null;
    },
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  active = phase;
  return phase;
}
