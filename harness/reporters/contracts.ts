import { showPointer } from '../contracts/pointer.ts';
import { mapStrings } from '../json/map-strings.ts';
import { terminalSafe } from '../text/escape.ts';
import type { ContractStepSummary } from '../run/result.ts';

export interface ContractRenderOptions {
  color: boolean;
  baseline: string;
  candidate: string;
}

/** The contract section of the end-of-run summary: one line per step, then its drift. Pure: text in, text out. */
export function renderContracts(raw: readonly ContractStepSummary[], opts: ContractRenderOptions): string {
  const steps = mapStrings(raw, terminalSafe);
  const paint = (code: number, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines = [paint(1, `contracts (${opts.baseline} vs ${opts.candidate})`)];
  const width = Math.max(...steps.map((s) => `${s.scenario}/${s.step}`.length), 10);
  for (const s of steps) {
    const failed = s.assertionFailures.baseline + s.assertionFailures.candidate > 0;
    const mark = s.drifted > 0 || failed || s.skipped ? paint(31, '✖') : paint(32, '✔');
    const noise = s.noise.length ? `, noise ${s.noise.map((n) => showPointer(n.pointer)).join(' ')}` : '';
    const asserts = failed ? `, assertions failed: ${opts.baseline} ${s.assertionFailures.baseline}, ${opts.candidate} ${s.assertionFailures.candidate}` : '';
    const skipped = s.skipped ? `, ${s.skipped} skipped` : '';
    lines.push(`  ${mark} ${`${s.scenario}/${s.step}`.padEnd(width)}  ${s.pairs} pairs, ${s.drifted} drifted${classCounts(s)}${skipped}${asserts}${paint(2, noise)}`);
    for (const d of s.drift) {
      const more = (d.occurrences ?? 0) > d.count ? ` in ${d.occurrences} places, first ${(d.examples ?? []).map((e) => showPointer(e.pointer)).join(' ')}` : '';
      lines.push(`      ${paint(d.class === 'breaking' ? 31 : d.class === 'additive' ? 33 : 0, (d.class ?? 'value').padEnd(9))}${d.kind.padEnd(15)}${showPointer(d.pointer)}  ${short(d.example.baseline)} → ${short(d.example.candidate)}  (${d.count}×${more})`);
    }
    for (const f of s.failures ?? []) lines.push(`      ${paint(2, `${f.role === 'baseline' ? opts.baseline : opts.candidate}: ${f.message}`)}`);
    if (s.artifact) lines.push(`      ${paint(2, `details: ${s.artifact}`)}`);
  }
  const drifted = steps.filter((s) => s.drifted > 0).length;
  const failing = steps.filter((s) => s.assertionFailures.baseline + s.assertionFailures.candidate > 0).length;
  const by = (c: 'breaking' | 'additive' | 'value') => steps.reduce((n, s) => n + (s.classes?.[c] ?? 0), 0);
  lines.push(`${steps.length} contract steps: ${drifted} drifted, ${failing} with assertion failures; drifted pairs by class: breaking ${by('breaking')}, additive ${by('additive')}, value ${by('value')}`);
  return lines.join('\n');
}

/** ", breaking 3, additive 3": the pairs with drift of each class, when any. */
export function classCounts(s: ContractStepSummary): string {
  if (!s.classes || s.drifted === 0) return '';
  const parts = (['breaking', 'additive', 'value'] as const).filter((c) => s.classes![c] > 0).map((c) => `${c} ${s.classes![c]}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function short(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
