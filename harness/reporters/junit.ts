import { showPointer } from '../contracts/pointer.ts';
import { classCounts } from './contracts.ts';
import type { RunResult } from '../run/result.ts';
import { esc, gateMessage, gateOutcome, jsonValue, NO_POLICY } from './format.ts';
import { serverJunitCases } from './server-metrics.ts';
import { WARN_ONLY_REASON } from '../gates/evaluate.ts';

interface Case {
  name: string;
  classname: string;
  failure?: { message: string; body: string };
  /** Inconclusive: not a failure of the candidate, but not a pass either. */
  error?: { message: string; body: string };
  /** Not judged (an evidence-only guard with too few pairs alone): neither a pass nor a failure. */
  skipped?: { message: string };
  out?: string;
}
interface Suite {
  name: string;
  cases: Case[];
}

/**
 * junit.xml for CI: one testsuite per policy with one testcase per gate (a failed gate is a
 * <failure> saying observed vs limit; an inconclusive gate is an <error>; a failed warn-severity
 * gate passes with a note; a scenario's evidence-only guard with too few pairs to judge alone is
 * <skipped>, never a green pass of what it did not judge), and a "contracts" testsuite with one testcase per contract step
 * (a <failure> per drifted step, with the curl that reproduces it), and a "hooks" testsuite when
 * hooks ran (a <failure> per failed hook). Pure: run.json in, XML out.
 */
export function renderJunit(run: RunResult): string {
  const suites: Suite[] = [policySuite(run)];
  if (run.contracts && run.contracts.length > 0) suites.push(contractSuite(run));
  if (run.serverMetrics?.series.length) suites.push({ name: 'server-side metrics', cases: serverJunitCases(run) });
  const hooks = hookSuite(run);
  if (hooks) suites.push(hooks);
  const count = (f: (c: Case) => boolean) => suites.reduce((n, s) => n + s.cases.filter(f).length, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(`parity: ${run.name}`)}" tests="${count(() => true)}" failures="${count((c) => !!c.failure)}" errors="${count((c) => !!c.error)}" skipped="${count((c) => !!c.skipped)}" time="${secs(run.load.durationMs)}" timestamp="${esc(run.startedAt)}">`,
  ];
  for (const s of suites) {
    const n = (f: (c: Case) => boolean) => s.cases.filter(f).length;
    lines.push(`  <testsuite name="${esc(s.name)}" tests="${s.cases.length}" failures="${n((c) => !!c.failure)}" errors="${n((c) => !!c.error)}" skipped="${n((c) => !!c.skipped)}" timestamp="${esc(run.startedAt)}">`);
    for (const c of s.cases) {
      const open = `    <testcase name="${esc(c.name)}" classname="${esc(c.classname)}"`;
      const inner: string[] = [];
      if (c.failure) inner.push(`      <failure message="${esc(c.failure.message)}" type="gate">${esc(c.failure.body)}</failure>`);
      if (c.error) inner.push(`      <error message="${esc(c.error.message)}" type="inconclusive">${esc(c.error.body)}</error>`);
      if (c.skipped) inner.push(`      <skipped message="${esc(c.skipped.message)}"/>`);
      if (c.out) inner.push(`      <system-out>${esc(c.out)}</system-out>`);
      lines.push(inner.length === 0 ? `${open}/>` : `${open}>\n${inner.join('\n')}\n    </testcase>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function policySuite(run: RunResult): Suite {
  const v = run.verdict;
  if (!v) {
    // Without a policy there is nothing to gate on; the one thing CI can still check is that the run finished.
    const c: Case = { name: `run completed (${NO_POLICY})`, classname: 'parity.run' };
    if (!run.complete) c.error = { message: `run incomplete: ${run.incompleteReason ?? 'unknown'}`, body: 'An incomplete run never promotes.' };
    return { name: `parity: ${run.name} (${NO_POLICY})`, cases: [c] };
  }
  const cases = v.gates.map((g): Case => {
    const c: Case = { name: `${g.id}: ${g.description}`, classname: `parity.gates.${v.policy}${g.scenario ? `.${g.scenario}` : ''}` };
    const outcome = gateOutcome(g);
    const message = gateMessage(g);
    if (outcome === 'fail') c.failure = { message, body: details(g) };
    else if (outcome === 'inconclusive') c.error = { message, body: details(g) };
    else if (outcome === 'warn') c.out = `WARN (severity warn, does not fail the verdict): ${message}`;
    else if (outcome === 'unjudged') c.skipped = { message: `not judged (decides on evidence only; too few pairs to judge this scope alone, no evidence of failure): ${message}` };
    return c;
  });
  const run_ = runCase(run, v);
  return { name: `policy ${v.policy}`, cases: run_ ? [...cases, run_] : cases };
}

/**
 * A verdict the run itself held back (incomplete, harness health, a stream profile that read
 * nothing, dropped starts) while no deciding gate carries its status: one more testcase, so a CI
 * reading junit.xml never sees all green for a verdict that is not a pass. A warn-only policy
 * decides nothing: only an incomplete run is an error there, as without a policy.
 */
function runCase(run: RunResult, v: NonNullable<RunResult['verdict']>): Case | undefined {
  const c: Case = { name: `verdict: ${v.status}`, classname: `parity.gates.${v.policy}` };
  if (v.reasons[0] === WARN_ONLY_REASON) {
    if (!run.complete) return { ...c, name: `run completed (${NO_POLICY})`, error: { message: `run incomplete: ${run.incompleteReason ?? 'unknown'}`, body: 'An incomplete run never promotes.' } };
    return undefined;
  }
  if (v.status === 'pass' || v.gates.some((g) => g.severity === 'fail' && g.status === v.status)) return undefined;
  const ids = v.gates.map((g) => g.id);
  const own = v.reasons.filter((r) => !ids.some((id) => ['FAIL', 'INCONCLUSIVE', 'WARN'].some((k) => r.startsWith(`${k} ${id}:`))));
  const message = `verdict ${v.status.toUpperCase()}: ${own.join('; ')}`;
  return v.status === 'fail' ? { ...c, failure: { message, body: v.reasons.join('\n') } } : { ...c, error: { message, body: v.reasons.join('\n') } };
}

/**
 * The hooks the verdict fired (dry runs are not actions: left out): a promotion or rollback that
 * failed is a <failure>. parity exits 4 then, and junit.xml of a pass whose promotion failed was all
 * green: a CI reading the test report saw a release that did not happen.
 */
function hookSuite(run: RunResult): Suite | undefined {
  const fired = (run.hooks ?? []).filter((h) => !h.dryRun);
  if (fired.length === 0) return undefined;
  const on = { pass: 'onPass', fail: 'onFail', inconclusive: 'onInconclusive' } as const;
  const cases = fired.map((h, i): Case => {
    const c: Case = { name: `${on[h.on]}[${i}] ${h.kind} ${h.target}`, classname: `parity.hooks.${on[h.on]}` };
    if (!h.ok) {
      const result = h.kind === 'exec' ? `exit code ${h.exitCode ?? 'none'}` : `HTTP ${h.httpStatus ?? 'no answer'}`;
      const body = [`${result}, ${h.attempts} attempt${h.attempts === 1 ? '' : 's'}${h.timedOut ? ', timed out' : ''}`, ...(h.stderrTail ? ['stderr:', h.stderrTail] : []), ...(h.stdoutTail ? ['output:', h.stdoutTail] : [])];
      c.failure = { message: `hook failed: ${h.error ?? result}; verdict ${run.verdict?.status ?? 'none'} reached, its ${on[h.on]} hook did not act (exit 4)`, body: body.join('\n') };
    }
    return c;
  });
  return { name: 'hooks', cases };
}

function details(g: NonNullable<RunResult['verdict']>['gates'][number]): string {
  const lines = [`metric: ${g.metric}`, `comparison: ${g.comparison}`, `samples: baseline ${g.samples.baseline}, candidate ${g.samples.candidate} (min ${g.samples.min})`];
  if (g.interval) lines.push(`interval (${g.interval.level * 100}% ${g.interval.method}): ${g.interval.low} … ${g.interval.high}`);
  lines.push(`reason: ${g.reason}`);
  return lines.join('\n');
}

function contractSuite(run: RunResult): Suite {
  const cases = run.contracts!.map((s): Case => {
    const c: Case = { name: `${s.scenario} / ${s.step}`, classname: `parity.contracts.${s.scenario}` };
    if (s.drifted > 0) {
      const top = s.drift.map((d) => `${showPointer(d.pointer)} ${d.class ?? 'value'} ${d.kind} ×${d.count}: baseline ${jsonValue(d.example.baseline)}, candidate ${jsonValue(d.example.candidate)}`);
      const body = [...top, ...(s.curl ? ['', 'reproduce:', s.curl] : []), ...(s.artifact ? [`diff: ${s.artifact}`] : [])].join('\n');
      c.failure = { message: `${s.drifted} of ${s.pairs} pairs drifted${classCounts(s)} at ${s.drift.map((d) => showPointer(d.pointer)).join(', ')}`, body };
    }
    // The candidate failing its assertions is a failure too, drift or not (the terminal marks it ✖, `parity snapshot compare` exits 1).
    const failed = s.assertionFailures.candidate;
    if (failed > 0) {
      const why = (s.failures ?? []).filter((f) => f.role === 'candidate' && !f.message.startsWith('skipped:')).map((f) => `${f.message} (${f.count}×)`);
      const message = `candidate failed ${failed} assertion${failed === 1 ? '' : 's'}`;
      c.failure = c.failure ? { ...c.failure, body: [c.failure.body, '', `${message}:`, ...why].join('\n') } : { message, body: why.join('\n') };
    }
    if (s.skipped) {
      const why = (s.failures ?? []).filter((f) => f.message.startsWith('skipped:')).map((f) => `${f.role}: ${f.message} (${f.count}×)`);
      c.error = { message: `not sent in ${s.skipped} flow run${s.skipped === 1 ? '' : 's'}: an earlier capture failed`, body: why.join('\n') };
    }
    return c;
  });
  return { name: 'contracts', cases };
}

const secs = (ms: number) => (ms / 1000).toFixed(3);
