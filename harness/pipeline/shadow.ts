import { setTimeout as delay } from 'node:timers/promises';
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/load.ts';
import { Timeouts } from '../config/schema.ts';
import { Shadow } from '../config/shadow-schema.ts';
import { ExitCode, PreflightError, UsageError } from '../errors.ts';
import { evaluatePolicy } from '../gates/evaluate.ts';
import { PolicyJudge } from '../gates/judge-worker.ts';
import { checkScopes, loadPolicy, type LoadedPolicy } from '../gates/load.ts';
import { checkGateSeries } from '../gates/server.ts';
import { checkServerMetricQueries } from '../metrics/server/preflight.ts';
import { gatePair, type GatePair } from '../gates/metrics.ts';
import type { CliIO } from '../io.ts';
import { outputFailed } from '../output/fs.ts';
import { collectPairs } from '../run/pairs.ts';
import { newRunId } from '../run/engine.ts';
import { startAdmin, type AdminServer } from '../sources/shadow/admin.ts';
import { initialRollout, nextRollout, type RolloutState, type WindowStatus } from '../sources/shadow/rollout.ts';
import { startShadowServer, type ShadowMode } from '../sources/shadow/server.ts';
import { ShadowWindow } from '../sources/shadow/window.ts';
import { describePreflightFailures, runPreflight } from '../targets/preflight.ts';
import { openTarget } from '../targets/target.ts';
import { applyPolicy, recordInRunJson } from './judge.ts';
import { renderStoredRun } from './render.ts';
import { Scrubber } from '../secrets/scrubber.ts';

export interface ShadowOptions {
  listen: { host: string; port: number };
  /** Controller endpoints (/verdict, /metrics, Flagger webhooks); none when left out. */
  admin?: { host: string; port: number } | undefined;
  mode: ShadowMode;
  policy?: string | undefined;
  /** Overrides shadow.window. */
  windowMs?: number | undefined;
  /** Stop after this many windows. */
  windows?: number | undefined;
  /** Stop after this long (the last window, if cut short, is incomplete). */
  durationMs?: number | undefined;
  /** Write every copied request here (NDJSON) for `parity replay`. */
  capture?: string | undefined;
  outDir?: string | undefined;
  shadowId?: string | undefined;
  dryRun?: boolean | undefined;
  quiet?: boolean | undefined;
  env?: NodeJS.ProcessEnv;
  /** Stops the shadow as Ctrl-C does (tests, API). */
  signal?: AbortSignal;
  onListening?: (info: { url: string; adminUrl: string | undefined; dir: string }) => void;
}

/**
 * `parity shadow`: live traffic (inline proxy or mirrored copies) → pairs → tumbling windows,
 * each written as a run (run.json, samples, reports) and judged by the policy → rollout decision
 * (roll back after `failureLimit` failing windows in a row, promote after `passWindows` passing
 * windows and `minSoak`) → that window's hooks → exit code (0 promoted, 1 rolled back, 2 no
 * decision or interrupted, 3 config/preflight error). A cumulative run over every window is
 * written beside them. A window is also judged as it fills (every `abortCheck`): once it already
 * fails, it ends there (k6's abortOnFail).
 */
export async function executeShadow(file: string, opts: ShadowOptions, io: CliIO): Promise<number> {
  const env = opts.env ?? io.env;
  const loaded = await loadConfig(file, env);
  const cfg = loaded.config;
  const shadow = cfg.shadow ?? Shadow.parse({});
  const windowMs = opts.windowMs ?? shadow.window;
  if (!(windowMs > 0)) throw new UsageError(`the shadow window must be longer than 0 ms (shadow.window or --window), got ${windowMs}`);
  const compared = Object.keys(shadow.routes ?? loaded.baseline.routes).filter((r) => Object.hasOwn(loaded.candidate.routes, r));
  let policy: LoadedPolicy | undefined;
  if (opts.policy) {
    policy = await loadPolicy(opts.policy, env);
    checkScopes(policy, { scenarios: compared, routes: new Map(compared.map((r) => [r, [r]])), source: file });
    checkGateSeries(policy, loaded);
  }
  // Everything printed from here on (preflight, the listening line, errors) goes through the scrubber.
  io.learnSecrets?.([...loaded.secrets, ...(policy?.secrets ?? [])]);
  // Server-side metrics: bad PromQL stops here, before any traffic; each window reads them over its own range.
  for (const w of await checkServerMetricQueries(loaded)) io.stderr.write(`parity: ${w}\n`);
  const timeouts = cfg.load?.timeouts ?? Timeouts.parse({});
  const targets = { baseline: openTarget(loaded.baseline, timeouts), candidate: openTarget(loaded.candidate, timeouts) };
  const closeTargets = () => Promise.all([targets.baseline.close(), targets.candidate.close()]).catch(() => undefined);
  const preflight = await runPreflight([targets.baseline, targets.candidate], cfg.preflight, opts.signal, (notice) => io.stderr.write(`parity: ${notice}\n`));
  if (preflight.some((p) => !p.ok)) {
    await closeTargets();
    throw new PreflightError(describePreflightFailures(preflight));
  }

  const id = opts.shadowId ?? `shadow-${newRunId()}`;
  const dir = path.resolve(opts.outDir ?? cfg.outDir, id);
  // The folder and the capture file are opened before anything listens or the judge thread starts: one that cannot be written is exit 3 now.
  let capture: WriteStream | undefined;
  try {
    await mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw outputFailed(err, 'the shadow folder', dir, 'give --out (or outDir) a writable folder');
    });
    if (opts.capture) capture = await openCapture(path.resolve(opts.capture), io);
  } catch (err) {
    await closeTargets();
    throw err;
  }
  /** How long a window's close waits for its copies in flight: their timeout, at least 5 s. */
  const settleMs = Math.max(timeouts.total, 5_000);
  const windowDir = (n: number) => path.join(dir, 'windows', String(n));
  let current = new ShadowWindow(1, windowDir(1), loaded, opts.mode, windowMs);
  /** Each open window's pairs as the gates keep them, by window index (a pair goes to the window its request arrived in). */
  const gatePairs = new Map<number, GatePair[]>([[1, []]]);
  const cumulative = new ShadowWindow(0, path.join(dir, 'cumulative'), loaded, opts.mode, windowMs);
  let rollout: RolloutState = initialRollout();
  let lastWindow: { index: number; status: WindowStatus; reasons: string[]; runJson: string } | null = null;
  // Windows are judged in a thread of their own: a bootstrap over a window's pairs takes seconds
  // (tens of thousands of pairs), which on this thread would hold every proxied response.
  const judge = policy ? new PolicyJudge(policy, env, { warn: (line) => io.stderr.write(line) }) : undefined;
  await judge?.ready();
  const t0 = Date.now();
  const scrubber = new Scrubber(loaded.secrets);

  let admin: AdminServer | undefined;
  // Cannot listen (address in use, not on this machine, no permission): nothing of this shadow stays open (the judge thread kept the process alive).
  const cannotListen = (flag: string, at: { host: string; port: number }) => async (err: unknown) => {
    await Promise.all([admin?.close(), judge?.close(), closeTargets(), endCapture(capture)]);
    throw listenFailed(flag, at, err);
  };
  if (opts.admin) {
    const at = opts.admin;
    admin = await startAdmin(() => ({ rollout, lastWindow, current: { index: current.index, pairs: current.pairs, startedAt: current.startedAt.toISOString() } }), at).catch(cannotListen('--admin', at));
  }
  const server = await startShadowServer(
    {
      loaded,
      shadow,
      mode: opts.mode,
      targets,
      timeouts,
      window: () => current,
      copying: () => rollout.decision === 'continue',
      ...(capture ? { capture: (c) => void (capture!.destroyed || capture!.write(JSON.stringify(scrubber.scrubDeep(c)) + '\n')) } : {}),
      onPair: (p, w) => {
        const gp = gatePair(p);
        gatePairs.get(w.index)?.push(gp);
        judge?.add(w.index, gp);
        admin?.observe(p);
      },
      onDropped: () => admin?.observeDropped(),
    },
    opts.listen,
  ).catch(cannotListen('--listen', opts.listen));
  const say = (line: string) => {
    if (!opts.quiet) io.stdout.write(`${line}\n`);
  };
  io.stdout.write(
    `shadow (${opts.mode}) listening on ${server.url} → baseline ${loaded.baseline.baseUrl}, candidate ${loaded.candidate.baseUrl}; ` +
      `routes compared: ${compared.join(', ') || 'none'}; windows of ${windowMs} ms under ${dir}${admin ? `; admin ${admin.url}` : ''}\n`,
  );
  opts.onListening?.({ url: server.url, adminUrl: admin?.url, dir });

  const stop = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(ExitCode.inconclusive);
    io.stderr.write('\ninterrupted: finishing the current window as incomplete (Ctrl-C again to quit at once)\n');
    interrupted = true;
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  opts.signal?.addEventListener('abort', () => ((interrupted = true), stop.abort()), { once: true });

  /** Closes the current window (a new one takes its place unless `last`), judges it, moves the rollout on. */
  const closeWindow = async (last: boolean, incompleteReason?: string) => {
    const w = current;
    if (!last) {
      current = new ShadowWindow(w.index + 1, windowDir(w.index + 1), loaded, opts.mode, windowMs);
      gatePairs.set(w.index + 1, []);
    }
    // Judged on its own requests: the copies still in flight are waited for (as at the end, up to
    // the request timeout), so a candidate slow to fail is not judged on its fast answers alone.
    await w.settle(last ? 0 : settleMs);
    const pairs = gatePairs.get(w.index) ?? [];
    gatePairs.delete(w.index);
    const { runJson, result } = await w.close(incompleteReason);
    cumulative.absorb(w);
    let line = `window ${w.index}: ${w.pairs} pairs, ${w.counts.dropped} copies dropped, ${w.counts.unsafe} writes not copied, ${w.counts.unmatched} unmatched`;
    if (policy) {
      // In the judge thread; on this one only if that thread failed (the verdict is the same either way).
      const verdict = await (judge && judge.broken === null ? judge.evaluate(w.index, result).catch(() => evaluatePolicy(policy, result, pairs)) : evaluatePolicy(policy, result, pairs));
      judge?.drop(w.index);
      const was = rollout.decision;
      rollout = nextRollout(rollout, verdict.status, { failureLimit: shadow.failureLimit, passWindows: shadow.passWindows, minSoakMs: shadow.minSoak, elapsedMs: Date.now() - t0 });
      lastWindow = { index: w.index, status: verdict.status, reasons: verdict.reasons, runJson };
      admin?.observeWindow(verdict.status, rollout.consecutiveFailures);
      line += ` → ${verdict.status.toUpperCase()} (${rollout.consecutiveFailures} failing in a row, ${rollout.consecutivePasses} passing in a row)`;
      if (was === 'continue' && rollout.decision !== 'continue') {
        say(line);
        say(`decision after window ${w.index}: ${rollout.decision.toUpperCase()}; firing the ${verdict.status} hooks`);
        // The deciding window goes through the same step as any run: verdict recorded, hooks fired and audited.
        await applyPolicy({ run: result, pairs, runJson, policy, dryRun: Boolean(opts.dryRun), verdict }, io);
        await renderStoredRun(runJson);
        return;
      }
      await recordInRunJson(runJson, verdict, undefined);
    }
    await renderStoredRun(runJson);
    say(line);
  };

  // timers/promises removes its abort listener when the wait ends (a listener added per wait and
  // never removed grew with every window of a long shadow run).
  const sleep = (ms: number) => delay(Math.max(0, ms), undefined, { signal: stop.signal }).catch(() => undefined);

  let windowEnds = Date.now() + windowMs;
  const endAt = opts.durationMs !== undefined ? t0 + opts.durationMs : Infinity;
  const check = policy && shadow.abortCheck > 0 ? shadow.abortCheck : Infinity;
  let nextCheck = Date.now() + check;
  /** The window the judge thread found already failing (its check answers while the loop sleeps). */
  let failedEarly: { index: number; pairs: number } | null = null;
  let checking = false;
  let wake: (() => void) | undefined;
  let closedWindows = 0;
  /** The loop ended at a window's end (--windows reached): that window is complete. */
  let atBoundary = false;
  try {
    while (!stop.signal.aborted) {
      const now = Date.now();
      if (now >= endAt) break;
      if (now >= windowEnds) {
        if (opts.windows !== undefined && closedWindows + 1 >= opts.windows) {
          // The last window closes once the listener has stopped and the pairs in flight are in.
          atBoundary = true;
          break;
        }
        await closeWindow(false);
        closedWindows++;
        if (rollout.decision !== 'continue' && opts.mode === 'mirror') break;
        windowEnds = Date.now() + windowMs;
        nextCheck = Date.now() + check;
        continue;
      }
      // Set by the judge thread's answer (TypeScript cannot see that callback assign it).
      const early = failedEarly as { index: number; pairs: number } | null;
      if (early?.index === current.index) {
        say(`window ${current.index} already fails after ${early.pairs} pairs: ending it early`);
        failedEarly = null;
        windowEnds = now;
        continue;
      }
      if (now >= nextCheck) {
        nextCheck = now + check;
        // On evidence only: too few pairs so far, or server-side series not read yet (they are at the close), never end a window.
        if (judge && judge.broken === null && !checking && rollout.decision === 'continue' && current.pairs > 0) {
          const w = current;
          const pairs = w.pairs;
          checking = true;
          judge.failsSoFar(w.index, w.result(null)).then(
            (v) => {
              checking = false;
              if (v && current === w) {
                failedEarly = { index: w.index, pairs };
                wake?.();
              }
            },
            () => (checking = false),
          );
        }
      }
      await Promise.race([sleep(Math.min(windowEnds, nextCheck, endAt) - now), new Promise<void>((resolve) => (wake = resolve))]);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // Copies still in flight after this are counted abandoned by their window (settle).
  await server.close(interrupted ? 2_000 : settleMs);
  await closeWindow(true, atBoundary ? undefined : interrupted ? 'interrupted' : 'shadow ended before the window did');
  closedWindows++;
  await admin?.close();
  await judge?.close();
  await closeTargets();
  await endCapture(capture);
  const cum = await cumulative.close(interrupted ? 'interrupted' : undefined);
  if (policy) {
    const verdict = evaluatePolicy(policy, cum.result, await collectPairs(path.join(path.dirname(cum.runJson), 'samples.ndjson'), gatePair));
    await recordInRunJson(cum.runJson, verdict, undefined);
  }
  await renderStoredRun(cum.runJson);
  io.stdout.write(`shadow: ${closedWindows} window(s), ${cum.result.samples.pairs} pairs; cumulative run.json: ${cum.runJson}\n`);
  if (rollout.decision === 'promote') return ExitCode.pass;
  if (rollout.decision === 'rollback') return ExitCode.fail;
  if (!policy && !interrupted) return ExitCode.pass;
  return ExitCode.inconclusive;
}

/** A listen error the user can fix (the address is taken, not this machine's, or needs privileges): a usage error naming the flag. */
function listenFailed(flag: string, at: { host: string; port: number }, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is already in use (another process, or the other of --listen/--admin); choose a free port',
    EADDRNOTAVAIL: 'the address is not one of this machine\'s; use one of its addresses, 127.0.0.1 or 0.0.0.0',
    EACCES: 'no permission to listen there (ports below 1024 need privileges); choose a port above 1023',
    ENOTFOUND: 'the host name does not resolve; give an address or a resolvable name',
    EAI_AGAIN: 'the host name could not be resolved now; give an address',
  };
  if (!code || !why[code]) return err;
  return new UsageError(`${flag} ${at.host}:${at.port}: cannot listen (${code}): ${why[code]}`);
}

/** `--capture`, opened (appending) now; a write that fails later stops the capture with one line on stderr, never the process. */
async function openCapture(file: string, io: CliIO): Promise<WriteStream> {
  let fd: number;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    fd = openSync(file, 'a');
  } catch (err) {
    throw outputFailed(err, 'the capture file', file, 'give --capture a writable file path');
  }
  const stream = createWriteStream(file, { fd });
  stream.once('error', (err) => {
    const e = outputFailed(err, 'the capture file', file, 'free space or fix permissions');
    io.stderr.write(`parity: PARITY_OUTPUT_FAILED\n${(e as Error).message}; capturing stopped, the shadow goes on\n`);
  });
  stream.on('error', () => undefined);
  return stream;
}

function endCapture(capture: WriteStream | undefined): Promise<void> {
  return new Promise<void>((resolve) => (capture && !capture.destroyed ? capture.end(() => resolve()) : resolve()));
}
