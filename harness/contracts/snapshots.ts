import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import { UsageError } from '../errors.ts';
import type { ContractStepSummary, Difference } from '../run/result.ts';
import type { LiveTarget } from '../targets/target.ts';
import { writeArtifacts } from './artifacts.ts';
import type { CompiledFlow, ContractPlan, TargetRole } from './compile.ts';
import { compareResponses, type Observed } from './normalize.ts';
import { orderedVerdicts } from './phase.ts';
import { redactJson } from './redact.ts';
import { requestCredentials, Scrubber } from '../secrets/scrubber.ts';
import type { Generated } from './echo.ts';
import { runContractFlows, type ReplicaAt, type SentRequest, type Side, type SkippedStep, type StepObservation } from './runner.ts';
import { ContractTally, noiseKey } from './tally.ts';

/**
 * Characterization snapshots: `record` stores the baseline's response to every step (the first
 * run of each flow) under `<snapshots>/<flow>/<step>.json`, with the noise learned from a second
 * baseline response when noise learning is on; `compare` runs the flows on one target and diffs
 * each step against its snapshot under the same rules, the recorded noise excluded.
 * Credentials in bodies are stored and compared as "[redacted]".
 */
export interface SnapshotFile {
  version: 1;
  flow: string;
  step: string;
  recordedAt: string;
  target: string;
  request: { method: string; path: string; body: unknown };
  response: { status: number | null; headers: Record<string, string>; body: unknown; json: boolean; text?: string };
  /** Pointers that differed between two baseline responses while recording. */
  noise: { pointer: string; kind: Difference['kind']; count: number; maxDelta?: number }[];
  /** The recorded target's base URL (for the `origin` normalizer). */
  baseUrl?: string;
  /** Values generated for the recording that its response echoes (`{{unique}}`, captures sent), for echo mapping. */
  generated?: Generated[];
}

export function snapshotFile(dir: string, flow: string, step: string): string {
  return path.join(dir, flow, `${step}.json`);
}

interface SnapshotContext {
  target: LiveTarget;
  role: TargetRole;
  runId: string;
  requestIdHeader: string;
  signal?: AbortSignal;
}

type Plan = LoadedConfig & { contracts: ContractPlan };
const stepKey = (flow: string, step: string) => `${flow}\u0000${step}`;

/** Runs the flows on the target, the noise replica beside it when learning; the first run of each flow is kept. */
async function observe(plan: ContractPlan, ctx: SnapshotContext, learnNoise: boolean, onStep: (obs: StepObservation) => void, onSkip?: (s: SkippedStep) => void) {
  const first = new Map<string, StepObservation>();
  const sides = (flow: CompiledFlow, replicaAt: ReplicaAt): Side[] => {
    const s: Side[] = [{ name: 'candidate', target: ctx.target, routes: ctx.role }];
    if (learnNoise && flow.noise) s.push({ name: 'replica', target: flow.noise === 'same' ? ctx.target : replicaAt(ctx.target, flow.noise.baselineUrl), routes: ctx.role });
    return s;
  };
  await runContractFlows(
    plan,
    ctx,
    sides,
    (obs) => {
      if (obs.iteration === 0) first.set(stepKey(obs.flow.name, obs.step.name), obs);
      onStep(obs);
    },
    onSkip,
  );
  return first;
}

export async function recordSnapshots(loaded: Plan, ctx: SnapshotContext): Promise<string[]> {
  const plan = loaded.contracts;
  const tally = new ContractTally();
  const url = ctx.target.config.baseUrl;
  const first = await observe(plan, ctx, true, (obs) => {
    const live = redacted(obs.responses.candidate!, obs.requests.candidate);
    const sides = { a: { baseUrl: url, generated: obs.generated?.candidate }, b: { baseUrl: replicaUrl(obs.flow, url), generated: obs.generated?.replica } };
    const opts = { headers: plan.headers, rules: obs.step.rules, body: !obs.step.stream, sides };
    const noise = obs.responses.replica ? compareResponses(live, redacted(obs.responses.replica, obs.requests.replica), opts) : undefined;
    tally.add({ ...obs, responses: { baseline: live } }, [], noise);
  });
  const written: string[] = [];
  for (const [key, obs] of first) {
    const noise = [...(tally.steps.get(key)?.noise.values() ?? [])];
    written.push(await writeSnapshot(plan, ctx.target.config, obs, noise, loaded.secrets));
  }
  return written.sort();
}

export interface CompareOptions extends SnapshotContext {
  dir: string;
  secrets: readonly string[];
  /** Rewrite the snapshots with this run's responses (after comparing). */
  update: boolean;
}

export async function compareSnapshots(loaded: Plan, opts: CompareOptions): Promise<ContractStepSummary[]> {
  const plan = loaded.contracts;
  const snapshots = new Map<string, SnapshotFile>();
  const missing: string[] = [];
  const tally = new ContractTally();
  for (const flow of plan.flows) {
    for (const step of flow.steps) {
      const file = snapshotFile(plan.snapshots, flow.name, step.name);
      const snap = await readSnapshot(file);
      if (!snap) {
        missing.push(file);
        continue;
      }
      snapshots.set(stepKey(flow.name, step.name), snap);
      tally.addKnownNoise(flow, step, snap.noise);
    }
  }
  if (missing.length && !opts.update) {
    throw new UsageError(`no snapshot for ${missing.length} step${missing.length === 1 ? '' : 's'}; nothing was sent:\n${missing.map((m) => `  ${m}`).join('\n')}\nRecord them first: parity snapshot record ${loaded.file}`);
  }
  const first = await observe(
    plan,
    opts,
    false,
    (obs) => {
      const snap = snapshots.get(stepKey(obs.flow.name, obs.step.name));
      if (!snap) return;
      const base = fromSnapshot(snap);
      const live = redacted(obs.responses.candidate!, obs.requests.candidate);
      const sides = { a: { baseUrl: snap.baseUrl, generated: snap.generated }, b: { baseUrl: opts.target.config.baseUrl, generated: obs.generated?.candidate } };
      const diffs = compareResponses(base, live, { headers: plan.headers, rules: obs.step.rules, body: !obs.step.stream, sides });
      tally.add({ ...obs, responses: { baseline: base, candidate: live } }, diffs, undefined);
    },
    (skipped) => tally.skip(skipped),
  );
  const verdicts = orderedVerdicts(plan, tally);
  await writeArtifacts(verdicts, opts.dir, opts.secrets, { baseline: 'snapshot', candidate: opts.target.config.name });
  if (opts.update) {
    for (const [key, obs] of first) await writeSnapshot(plan, opts.target.config, obs, snapshots.get(key)?.noise ?? [], opts.secrets);
  }
  return verdicts.map((v) => v.summary);
}

/**
 * A response as stored and compared: credential-named JSON fields "[redacted]", and the
 * credentials its own request carried (a session token a flow captured at login and sent as
 * `Bearer {{token}}`) scrubbed wherever the backend echoed them (`{"session": "<token>"}`): a
 * snapshot is a file committed to a repository. Recorded and live responses are scrubbed alike, so
 * an echoed token compares equal ("[redacted]" both) as a token echoed under its own name did.
 */
function redacted(o: Observed, req: SentRequest | undefined): Observed {
  const shown = o.json ? { ...o, body: redactJson(o.body) } : o;
  const own = req ? Scrubber.none.with(requestCredentials(req.headers)) : Scrubber.none;
  return own.empty ? shown : own.scrubDeep(shown);
}

function fromSnapshot(s: SnapshotFile): Observed {
  const o: Observed = { status: s.response.status, headers: s.response.headers, body: s.response.body, json: s.response.json, durationMs: 0 };
  if (s.response.text !== undefined) o.text = s.response.text;
  return o;
}

/**
 * Writes one step's snapshot: credentials in JSON bodies as "[redacted]" (by field name), and every
 * secret of the config (header tokens, userinfo, env values) scrubbed wherever a backend echoed it.
 */
async function writeSnapshot(plan: ContractPlan, target: { name: string; baseUrl: string }, obs: StepObservation, noise: SnapshotFile['noise'], secrets: readonly string[]): Promise<string> {
  const req = obs.requests.candidate!;
  const o = redacted(obs.responses.candidate!, req);
  let body: unknown = req.body;
  try {
    body = req.body === undefined ? null : redactJson(JSON.parse(req.body));
  } catch {
    // kept as text
  }
  const headers: Record<string, string> = {};
  for (const h of new Set([...plan.headers, ...obs.step.rules.headerNames])) if (o.headers[h] !== undefined) headers[h] = o.headers[h];
  const snap: SnapshotFile = {
    version: 1,
    flow: obs.flow.name,
    step: obs.step.name,
    recordedAt: new Date().toISOString(),
    target: target.name,
    request: { method: req.method, path: req.path, body },
    response: { status: o.status, headers, body: o.body ?? null, json: o.json, ...(o.text !== undefined ? { text: o.text } : {}) },
    noise: [...noise].sort((a, b) => noiseKey(a).localeCompare(noiseKey(b))),
    baseUrl: withoutCredentials(target.baseUrl),
    // Only values the stored response echoes: a captured token it echoed is "[redacted]" there, so its value is not kept here either.
    generated: echoed(obs.generated?.candidate ?? [], JSON.stringify(headers) + JSON.stringify(o.body ?? null)),
  };
  const file = snapshotFile(plan.snapshots, obs.flow.name, obs.step.name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(new Scrubber(secrets).with(requestCredentials(req.headers)).scrubDeep(snap), null, 2) + '\n');
  return file;
}

async function readSnapshot(file: string): Promise<SnapshotFile | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SnapshotFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`${file}: not a readable snapshot (${(err as Error).message}); re-record it with parity snapshot record`);
  }
}

/** Only generated values the stored response echoes are kept: nothing else of the run is written. */
function echoed(generated: readonly Generated[], stored: string): Generated[] {
  return generated.filter((g) => (typeof g.value === 'string' && g.value !== '' && stored.includes(g.value)) || (typeof g.value === 'number' && stored.includes(String(g.value))));
}

/** A base URL as stored in a snapshot: never with the user:password some URLs carry. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.href.replace(/\/+$/, '');
}

function replicaUrl(flow: CompiledFlow, url: string): string {
  return typeof flow.noise === 'object' ? flow.noise.baselineUrl : url;
}
