import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { mergeCommand } from '../../harness/commands/merge.ts';
import { RUN_OPTIONS, runOptionsFrom } from '../../harness/commands/run.ts';
import { resolveSegment } from '../../harness/load/segment.ts';
import { ROOT } from '../segments/helpers.ts';

// The deploy/ files, parsed as their engines parse them, checked against the fields each engine
// requires and against parity's own flag parser (a typo in a flag would only show at 2 a.m.).
const DEPLOY = path.join(ROOT, 'deploy');
type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** YAML documents of a file, after the placeholders envsubst would fill. */
function docs(file: string, vars: Record<string, string> = {}): Doc[] {
  let text = readFileSync(path.join(DEPLOY, file), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.split('${' + k + '}').join(v);
  const parsed = parseAllDocuments(text);
  for (const d of parsed) expect(d.errors, `${file}: ${d.errors.join('; ')}`).toEqual([]);
  return parsed.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

/** `parity <args>` as the CLI would parse them: strict flags (an unknown one throws). */
function cli(args: string[]) {
  const [command, ...rest] = args;
  const options = command === 'run' ? RUN_OPTIONS : command === 'merge' ? mergeCommand.options : undefined;
  if (!options) throw new Error(`not a parity command: ${command}`);
  return { command, ...parseArgs({ args: rest, options, allowPositionals: true, strict: true }) };
}

describe('deploy/', () => {
  it('Dockerfile: the official Node image (the engines version), parity as the entrypoint, every COPY source in the repository', () => {
    const text = readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
    const from = /^FROM\s+(\S+)/m.exec(text)![1]!;
    expect(from).toMatch(/^node:(\d+)(-[a-z0-9-]+)?$/);
    const engines = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    expect(Number(/^node:(\d+)/.exec(from)![1])).toBeGreaterThanOrEqual(Number(/(\d+)/.exec(engines)![1]));
    const entry = JSON.parse(/^ENTRYPOINT\s+(\[.*\])$/m.exec(text)![1]!) as string[];
    expect(entry[0]).toBe('node');
    expect(entry[1]).toMatch(/\/bin\/parity\.mjs$/);
    for (const m of text.matchAll(/^COPY\s+(.+)\s+\S+$/gm)) for (const src of m[1]!.split(/\s+/)) expect(existsSync(path.join(ROOT, src)), src).toBe(true);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/^USER node$/m);
  });

  it('Kubernetes: an Indexed Job of N segments on a shared volume, whose pods parse as segments 1..N', () => {
    const [pvc, job] = docs('kubernetes/segments.yaml', { RUN_ID: 'nightly-1', START_AT: '2026-11-30T02:00:00Z' });
    expect(pvc).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' });
    expect(pvc!.spec.accessModes).toContain('ReadWriteMany');
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed', backoffLimit: 0 } });
    const n = job!.spec.completions as number;
    expect(job!.spec.parallelism).toBe(n);
    const pod = job!.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const [c] = pod.containers;
    expect(c.image).toMatch(/parity/);
    const run = cli(c.args);
    expect(run.command).toBe('run');
    // Each pod's JOB_COMPLETION_INDEX (0..N-1) is segment 1..N of N.
    for (let i = 0; i < n; i++) expect(runOptionsFrom(run.values, { JOB_COMPLETION_INDEX: String(i) }).segment).toMatchObject({ index: i, count: n, startAtMs: Date.UTC(2026, 10, 30, 2) });
    expect(run.values['run-id']).toBe('nightly-1');
    // --out is the shared volume.
    const mount = c.volumeMounts.find((m: Doc) => m.mountPath === run.values.out);
    expect(pod.volumes.find((v: Doc) => v.name === mount.name).persistentVolumeClaim.claimName).toBe(pvc!.metadata.name);
    expect(run.positionals[0]!.startsWith(c.volumeMounts.find((m: Doc) => m.name === 'config').mountPath)).toBe(true);

    const [merge] = docs('kubernetes/merge-job.yaml', { RUN_ID: 'nightly-1' });
    expect(merge).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never' } } } });
    const mc = merge!.spec.template.spec.containers[0];
    const m = cli(mc.args);
    expect(m.command).toBe('merge');
    expect(m.values.policy).toBeTruthy();
    // It merges the run folder the segments wrote, on the same claim.
    expect(m.positionals).toEqual([`${run.values.out}/nightly-1`]);
    const mm = mc.volumeMounts.find((v: Doc) => v.mountPath === run.values.out);
    expect(merge!.spec.template.spec.volumes.find((v: Doc) => v.name === mm.name).persistentVolumeClaim.claimName).toBe(pvc!.metadata.name);
  });

  it('GitHub Actions: a matrix of N segments with artifacts, merged by a job that runs even when a segment failed', () => {
    const [wf] = docs('github/parity-segments.yml');
    expect(Object.keys(wf!.on)).toContain('workflow_dispatch');
    const seg = wf!.jobs.segment;
    const matrix = seg.strategy.matrix.segment as number[];
    const n = Number(wf!.env.SEGMENTS);
    expect(matrix).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(Number(seg.env.PARITY_SEGMENT_COUNT)).toBe(n);
    expect(seg.strategy['fail-fast']).toBe(false);
    expect(seg.needs).toBe('plan');
    // The matrix value each job sees becomes its segment, 1-based.
    for (const k of matrix) expect(resolveSegment('auto', String(n), { PARITY_SEGMENT_INDEX: String(k), PARITY_SEGMENT_COUNT: String(n) })).toMatchObject({ index: k - 1, count: n });
    const runStep = seg.steps.find((s: Doc) => typeof s.run === 'string' && s.run.includes('parity run'));
    expect(runStep.run).toMatch(/--segment auto --segments "\$SEGMENTS"/);
    expect(runStep.run).toContain('--start-at "${{ needs.plan.outputs.start-at }}"');
    expect(runStep.run).toContain('--run-id "${{ needs.plan.outputs.run-id }}"');
    const upload = seg.steps.find((s: Doc) => String(s.uses).startsWith('actions/upload-artifact@'));
    expect(upload.if).toBe('always()');
    expect(upload.with.path).toBe('reports/${{ needs.plan.outputs.run-id }}/segments/${{ matrix.segment }}-of-4/');
    expect(upload.with.name).toBe('${{ matrix.segment }}-of-4');

    const merge = wf!.jobs.merge;
    expect(merge.needs).toEqual(['plan', 'segment']);
    expect(merge.if).toMatch(/always\(\)/);
    const download = merge.steps.find((s: Doc) => String(s.uses).startsWith('actions/download-artifact@'));
    expect(download.with.pattern).toBe('*-of-4');
    expect(download.with.path).toBe('reports/${{ needs.plan.outputs.run-id }}/segments');
    expect(merge.steps.find((s: Doc) => typeof s.run === 'string' && s.run.includes('parity merge')).run).toContain('parity merge "reports/${{ needs.plan.outputs.run-id }}" --policy');
    expect(wf!.jobs.plan.outputs).toHaveProperty('start-at');
  });

  it('Argo Rollouts: an AnalysisTemplate whose job provider runs parity once and fails on any non-zero exit', () => {
    const [t] = docs('argo/analysis-template.yaml');
    expect(t).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate' });
    const [metric] = t!.spec.metrics;
    expect(metric).toMatchObject({ count: 1, failureLimit: 0 });
    const job = metric.provider.job;
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    const c = job.spec.template.spec.containers[0];
    const run = cli(c.args);
    expect(run.command).toBe('run');
    expect(run.values.policy).toBe('{{args.policy}}');
    // Every {{args.x}} used is declared.
    const declared = new Set(t!.spec.args.map((a: Doc) => a.name));
    for (const m of JSON.stringify(t).matchAll(/\{\{args\.([\w-]+)\}\}/g)) expect(declared.has(m[1])).toBe(true);
    expect(readFileSync(path.join(DEPLOY, 'argo/analysis-template.yaml'), 'utf8')).toMatch(/exit 2 \(inconclusive\) -> Job fails\s+-> measurement Failed/);
  });
});
